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
import io.purekinesis.consumer.internal.lease.StreamKey;
import io.purekinesis.consumer.internal.lease.TrackedStream;
import io.purekinesis.consumer.internal.lease.TrackedStreams;
import io.purekinesis.consumer.internal.lease.Workers;
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
 * when the lease is lost or must be handed off, and when it ends finishes the handoff, keeps a finished or failed
 * shard's lease. A shard that ended gets its children's leases, owned by this worker. Owns the coordinator:
 * {@link #start()} starts taking leases, {@link #shutDownGracefully()} and {@link #halt()} end it all.
 */
public final class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How often running processor calls are checked for {@link SlowCallWatch}. */
    static final Duration SLOW_CALL_CHECK_INTERVAL = Duration.ofSeconds(10);

    /** What happens to a lease the coordinator hands out. */
    private enum Mode {
        /** Running: a shard consumer processes it. */
        DISPATCH,
        /** Shutting down: it is not started; it is handed over with the others. */
        RELEASE,
        /** Halted or stopped: it is left to expire, as a dead process would. */
        IGNORE
    }

    private final ConsumerContext context;
    private final RecordProcessorFactory factory;
    private final RecordSource.Factory sources;
    private final LeaseTable table;
    private final ShardSyncer shardSyncer;
    /** Multi-stream mode: the streams read now; null in single-stream mode. */
    private final TrackedStreams streams;
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
            LeaseTable table, Workers workers, ShardSyncer shardSyncer) {
        this(context, factory, ShardFetcher.factory(context, kinesis), table, workers, shardSyncer);
    }

    /** Reading each shard from what {@code sources} makes (polling or fan-out). */
    public Dispatcher(ConsumerContext context, RecordProcessorFactory factory, RecordSource.Factory sources,
            LeaseTable table, Workers workers, ShardSyncer shardSyncer) {
        this(context, factory, sources, table, workers, shardSyncer, null);
    }

    /**
     * Reading the shards of {@code streams} (multi-stream mode; null: single-stream): a stream removed from it has
     * its shard consumers shut down gracefully and its leases released; a lease of a stream not read is released.
     */
    public Dispatcher(ConsumerContext context, RecordProcessorFactory factory, RecordSource.Factory sources,
            LeaseTable table, Workers workers, ShardSyncer shardSyncer, TrackedStreams streams) {
        this.streams = streams;
        this.context = context;
        this.factory = factory;
        this.sources = sources;
        this.table = table;
        this.shardSyncer = shardSyncer;
        this.workerId = context.workerId();
        this.slowCalls = new SlowCallWatch(workerId, SlowCallWatch.FIRST_REPORT_AFTER, context.metrics());
        this.coordinator = new LeaseCoordinator(table, workers, shardSyncer, context, new LeaseEvents());
        if (streams != null) {
            streams.addListener(new StreamEvents());
        }
    }

    /** The stream of a lease: the configured one, or (multi-stream) the tracked one its key names; null if none. */
    private String streamOf(String leaseKey) {
        if (streams == null) {
            return context.config().streamName();
        }
        TrackedStream t = streams.ofLeaseKey(leaseKey);
        return t == null ? null : t.name();
    }

    /** This worker's lease coordinator (start-up joins the fleet through it). */
    public LeaseCoordinator coordinator() {
        return coordinator;
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

    /** From now on a lease still handed out (a lookup that was running) is not started: shutdown hands it over. */
    public synchronized void releaseNewLeases() {
        mode = Mode.RELEASE;
    }

    /** From now on a lease still handed out is left to expire. */
    public synchronized void ignoreNewLeases() {
        mode = Mode.IGNORE;
    }

    /**
     * Stops taking leases, asks every shard consumer to shut down (its processor checkpoints in shutdownRequested)
     * and waits for them, then hands every lease held to the live workers and leaves the fleet.
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
        List<CompletableFuture<?>> writes;
        synchronized (pendingTableWrites) {
            writes = new ArrayList<>(pendingTableWrites);
        }
        CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null).join();
        coordinator.leave();
    }

    /** Stops heartbeats and every shard consumer at once, without callbacks, checkpoints or hand-overs. */
    public void halt() {
        coordinator.halt();
        for (ShardConsumer c : consumers.values()) {
            c.halt();
        }
    }

    private ShardConsumer newShardConsumer(Lease lease, String streamName) {
        String key = lease.leaseKey();
        RecordSource source = sources.create(streamName, StreamKey.shardIdOf(key), hashRange(lease),
                lease.checkpoint());
        ShardCheckpointer checkpointer = new ShardCheckpointer(key, workerId, table, lease.checkpoint(),
                context.metrics(), context.time(), context.random());
        return new ShardConsumer(key, streamName, factory, source, checkpointer,
                ShardConsumer.FailurePolicy.of(context), context.metrics(), context.time(), consumerEvents);
    }

    /** Releases a held lease of a stream no longer read (its processor, if any, has ended). */
    private void releaseRemoved(String leaseKey) {
        track(coordinator.releaseRemoved(leaseKey));
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
            String streamName = streamOf(lease.leaseKey());
            if (streamName == null && streams != null) {
                // the leader may have seen the tracker list the stream, or the stream created again, before this
                // worker did: check now rather than release a lease the fleet just gave us (outside our lock:
                // listeners take it)
                streams.refresh();
                streams.learn(lease.leaseKey());
                streamName = streamOf(lease.leaseKey());
            }
            synchronized (Dispatcher.this) {
                if (mode == Mode.DISPATCH) {
                    if (streamName == null) {
                        // a lease of a stream no longer read (assigned while it was being removed): not processed
                        releaseRemoved(lease.leaseKey());
                        return;
                    }
                    ShardConsumer c = newShardConsumer(lease, streamName);
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
                // RELEASE: shutting down, the lease is handed over with the others; IGNORE: halted, like a dead
                // process, the lease moves when the worker is declared dead
            }
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
                track(coordinator.finishHandoff(leaseKey));
            }
        }
    }

    private synchronized boolean isRunning() {
        return mode == Mode.DISPATCH;
    }

    /** Multi-stream mode: reacts to streams added and removed, on a lease thread. */
    private final class StreamEvents implements TrackedStreams.Listener {
        @Override
        public void added(TrackedStream stream) {
            coordinator.streamAdded();
        }

        @Override
        public void removed(TrackedStream stream) {
            // running consumers first, held or not: one handing its lease off is no longer held, and finishes
            // the handoff as it is (shutdownRequested, checkpoint, then the new owner releases the lease)
            for (ShardConsumer c : consumers.values()) {
                if (stream.owns(c.shardId()) && !c.done().isDone() && !c.isShuttingDown()) {
                    log.info("Worker {} ending shard {}: its stream is no longer read (shutdownRequested, then the"
                            + " lease is released)", workerId, c.shardId());
                    c.requestShutdown(Outcome.SHUTDOWN);
                }
            }
            for (String key : coordinator.heldLeaseKeys()) {
                ShardConsumer c = consumers.get(key);
                if (stream.owns(key) && (c == null || c.done().isDone()) && !coordinator.isWaitingForHandoff(key)
                        && isRunning()) {
                    releaseRemoved(key); // nothing processing it (waiting for parents, finished, failed)
                }
            }
        }
    }

    /** Reacts to shard consumers, on their processor threads. */
    private final class ConsumerEvents implements ShardConsumer.Callbacks {
        @Override
        public void shardEnded(String shardId, List<ChildShard> children) {
            try {
                shardSyncer.createChildLeases(streams == null ? null : shardId, children, workerId);
                coordinator.leasesCreated();
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
            synchronized (Dispatcher.this) {
                if (mode == Mode.IGNORE) {
                    return; // halted: a dead process writes nothing more
                }
            }
            switch (outcome) {
                case SHARD_END -> coordinator.completed(key);
                case HANDOFF -> track(coordinator.finishHandoff(key));
                case FAILED -> log.error("Worker {} stopped shard {}; it keeps the lease until shutdown", workerId,
                        key);
                case LEASE_LOST -> coordinator.processingStopped(key); // a refused checkpoint: still ours?
                case SHUTDOWN -> {
                    if (streams != null && streamOf(key) == null && isRunning()) {
                        releaseRemoved(key); // its stream was removed; it checkpointed in shutdownRequested
                    } // else the lease is handed over when the worker leaves
                }
                default -> {
                    // SHUTDOWN: the lease is handed over when the worker leaves; HALTED: nothing more
                }
            }
        }
    }
}
