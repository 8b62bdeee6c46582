package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.RecordProcessorFactory;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.checkpoint.ShardCheckpointer;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer.Outcome;
import io.purekinesis.consumer.internal.fetch.RecordSource;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseCoordinator;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;

/**
 * Turns leases into running shard consumers: starts a {@link ShardConsumer} (with its record source, polling or
 * fan-out, and its checkpointer) on a processor thread for each lease its {@link LeaseCoordinator} hands out, stops it
 * when the lease is lost or must be handed off, and when it ends releases the lease, finishes the handoff or keeps a
 * failed shard's lease. A shard that ended gets its children's leases. Owns the coordinator: {@link #start()} starts
 * taking leases, {@link #shutDownGracefully()} and {@link #halt()} end it all.
 */
public final class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How often running processor calls are checked for {@link SlowCallWatch}. */
    static final Duration SLOW_CALL_CHECK_INTERVAL = Duration.ofSeconds(10);

    /** What happens to a lease the coordinator hands out. */
    private enum Mode {
        /** Running: a shard consumer processes it. */
        DISPATCH,
        /** Shutting down: it is released at once. */
        RELEASE,
        /** Halted or stopped: it is left to expire, as a dead process would. */
        IGNORE
    }

    private final ConsumerContext context;
    private final RecordProcessorFactory factory;
    private final RecordSource.Factory sources;
    private final LeaseTable table;
    private final ShardSyncer shardSyncer;
    private final LeaseCoordinator coordinator;
    private final SlowCallWatch slowCalls;
    private final String workerId;
    private final Map<String, ShardConsumer> consumers = new ConcurrentHashMap<>();
    private final List<CompletableFuture<?>> pendingTableWrites = new ArrayList<>();
    private final ShardConsumer.Callbacks consumerEvents = new ConsumerEvents();
    /** Guarded by this: none starts after shutdown began. */
    private Mode mode = Mode.DISPATCH;

    /** Reading by polling. */
    public Dispatcher(ConsumerContext context, RecordProcessorFactory factory, KinesisAsyncClient kinesis,
            LeaseTable table, ShardSyncer shardSyncer) {
        this(context, factory, ShardFetcher.factory(context, kinesis), table, shardSyncer);
    }

    /** Reading each shard from what {@code sources} makes (polling or fan-out). */
    public Dispatcher(ConsumerContext context, RecordProcessorFactory factory, RecordSource.Factory sources,
            LeaseTable table, ShardSyncer shardSyncer) {
        this.context = context;
        this.factory = factory;
        this.sources = sources;
        this.table = table;
        this.shardSyncer = shardSyncer;
        this.workerId = context.workerId();
        this.slowCalls = new SlowCallWatch(workerId, SlowCallWatch.FIRST_REPORT_AFTER, context.metrics());
        this.coordinator = new LeaseCoordinator(table, context, new LeaseEvents());
    }

    /** Starts taking leases, and checking for slow processor calls. */
    public void start() {
        coordinator.start();
        long check = SLOW_CALL_CHECK_INTERVAL.toMillis();
        context.leaseScheduler().scheduleWithFixedDelay(() -> slowCalls.check(consumers.values(),
                context.time().nanoTime()), check, check, TimeUnit.MILLISECONDS);
    }

    /** Shards whose records are being delivered now. */
    public Set<String> activeShards() {
        return Set.copyOf(consumers.keySet());
    }

    /** Leases held (including failed shards and leases waiting for a handoff). */
    public Set<String> heldLeaseKeys() {
        return coordinator.heldLeaseKeys();
    }

    /** From now on a lease still handed out (a scan that was running) is released at once. */
    public synchronized void releaseNewLeases() {
        mode = Mode.RELEASE;
    }

    /** From now on a lease still handed out is left to expire. */
    public synchronized void ignoreNewLeases() {
        mode = Mode.IGNORE;
    }

    /**
     * Stops taking leases, asks every shard consumer to shut down (its processor checkpoints in shutdownRequested)
     * and waits for them, then stops renewing, releases every lease held and waits for those writes.
     */
    public void shutDownGracefully() {
        coordinator.stopTaking();
        while (!consumers.isEmpty()) { // again if a lease was acquired while we were stopping the others
            List<CompletableFuture<Outcome>> running = new ArrayList<>();
            for (ShardConsumer c : consumers.values()) {
                c.requestShutdown(Outcome.SHUTDOWN);
                running.add(c.done());
            }
            CompletableFuture.allOf(running.toArray(new CompletableFuture<?>[0])).join();
        }
        coordinator.stopRenewing();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (String key : coordinator.heldLeaseKeys()) {
            writes.add(coordinator.release(key));
        }
        synchronized (pendingTableWrites) {
            writes.addAll(pendingTableWrites);
        }
        CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null).join();
    }

    /** Stops renewing and every shard consumer at once, without callbacks, checkpoints or releases. */
    public void halt() {
        coordinator.stopRenewing();
        for (ShardConsumer c : consumers.values()) {
            c.halt();
        }
    }

    private ShardConsumer newShardConsumer(Lease lease) {
        String shardId = lease.leaseKey();
        RecordSource source = sources.create(shardId, hashRange(lease), lease.checkpoint());
        ShardCheckpointer checkpointer = new ShardCheckpointer(shardId, workerId, table, lease.checkpoint(),
                context.metrics(), context.time(), context.random());
        return new ShardConsumer(shardId, factory, source, checkpointer, ShardConsumer.FailurePolicy.of(context),
                context.metrics(), context.time(), consumerEvents);
    }

    /** The lease's hash range, which child shards' consumers filter aggregates by; null when it has none. */
    private static HashKeyRange hashRange(Lease lease) {
        if (lease.startingHashKey() == null || lease.endingHashKey() == null) {
            return null;
        }
        try {
            return HashKeyRange.of(lease.startingHashKey(), lease.endingHashKey());
        } catch (IllegalArgumentException e) {
            log.warn("Lease {} has an invalid hash range; not filtering by hash key", lease.leaseKey());
            return null;
        }
    }

    /** Keeps a table write shutdown waits for. */
    private void track(CompletableFuture<?> write) {
        synchronized (pendingTableWrites) {
            pendingTableWrites.removeIf(CompletableFuture::isDone);
            pendingTableWrites.add(write);
        }
    }

    /** Reacts to the lease coordinator, on its threads. */
    private final class LeaseEvents implements LeaseCoordinator.Listener {
        @Override
        public void leaseAcquired(Lease lease) {
            synchronized (Dispatcher.this) {
                if (mode == Mode.DISPATCH) {
                    ShardConsumer c = newShardConsumer(lease);
                    ShardConsumer previous = consumers.put(lease.leaseKey(), c);
                    if (previous != null && !previous.done().isDone()) {
                        // a processor of an earlier lease of this shard is still running (stuck after a forced
                        // handoff): its checkpoints would pass the table's owner check again, now that this
                        // worker owns the lease, and could move the new processor's checkpoint backwards
                        log.warn("Worker {} took shard {} again while the processor of its previous lease is still "
                                + "running; that processor gets leaseLost and can no longer checkpoint",
                                workerId, lease.leaseKey());
                        previous.leaseLost();
                    }
                    log.info("Worker {} processing shard {} from {}", workerId, lease.leaseKey(), lease.checkpoint());
                    context.processorExecutor().execute(c);
                    return;
                }
                if (mode == Mode.IGNORE) {
                    return; // halted: like a dead process, leave the lease to expire
                }
            }
            track(coordinator.release(lease.leaseKey()));
        }

        @Override
        public void leaseLost(String leaseKey) {
            ShardConsumer c = consumers.get(leaseKey);
            if (c != null) {
                c.leaseLost();
            }
        }

        @Override
        public void handoffRequested(String leaseKey) {
            ShardConsumer c = consumers.get(leaseKey);
            if (c != null && !c.done().isDone()) {
                c.requestShutdown(Outcome.HANDOFF);
            } else {
                track(table.finishHandoff(leaseKey, workerId));
            }
        }
    }

    /** Reacts to shard consumers, on their processor threads. */
    private final class ConsumerEvents implements ShardConsumer.Callbacks {
        @Override
        public void shardEnded(String shardId, List<ChildShard> children) {
            try {
                shardSyncer.createChildLeases(children);
            } catch (RuntimeException e) {
                log.warn("Creating the child leases of {} failed; the next shard sync creates them: {}", shardId,
                        Failures.describe(e));
            }
        }

        @Override
        public void finished(ShardConsumer consumer, Outcome outcome) {
            String key = consumer.shardId();
            if (!consumers.remove(key, consumer)) {
                return; // superseded by a consumer of a newer lease of the shard: the lease is not ours to end
            }
            switch (outcome) {
                case SHUTDOWN, SHARD_END -> track(coordinator.release(key));
                case HANDOFF -> track(table.finishHandoff(key, workerId).whenComplete((ok, e) -> log.info(
                        "Worker {} finished handing off shard {}", workerId, key)));
                case FAILED -> log.error("Worker {} stopped shard {}; it keeps the lease until shutdown", workerId,
                        key);
                default -> {
                }
            }
        }
    }
}
