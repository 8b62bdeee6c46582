package io.purekinesis.consumer;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.internal.Backoff;
import io.purekinesis.consumer.internal.ClientHolder;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.NamedThreadFactory;
import io.purekinesis.consumer.internal.SafeMetrics;
import io.purekinesis.consumer.internal.checkpoint.ShardCheckpointer;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer.Outcome;
import io.purekinesis.consumer.internal.dispatch.SlowCallWatch;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseCoordinator;
import io.purekinesis.consumer.internal.lease.LeaseScan;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.StreamIdentity;
import io.purekinesis.consumer.internal.lease.UnusableRows;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * The worker: leases shards of one stream through a DynamoDB lease table shared with its peers (KCL's schema),
 * reads them, de-aggregates KPL records and hands them to one {@link RecordProcessor} per leased shard.
 *
 * <p>Threads (all daemon, named {@code purekinesis-consumer-<workerId>-<role>-<n>}): {@code lease} (3: renewal,
 * table scan/take, shard sync), {@code fetch} (2: GetRecords task chains of all shards), {@code processor} (one
 * per leased shard, running its processor's calls one at a time), and {@code shutdown} during shutdown.
 *
 * <pre>{@code
 * KinesisConsumer consumer = new KinesisConsumer(ConsumerConfig.builder()
 *         .applicationName("orders-app").streamName("orders").region(Region.EU_WEST_1).build(),
 *         MyProcessor::new);
 * consumer.start();
 * ...
 * consumer.shutdown().join(); // checkpoints via shutdownRequested, then releases the leases
 * }</pre>
 */
public final class KinesisConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KinesisConsumer.class);
    /** How long {@link #start()} waits for the lease table to become ACTIVE. */
    static final Duration TABLE_READY_TIMEOUT = Duration.ofMinutes(2);
    static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** How long {@link #start()} retries transient errors (throttling, 5xx, client errors, timeouts). */
    static final Duration START_RETRY_TIME = Duration.ofSeconds(60);
    static final Duration START_BACKOFF_BASE = Duration.ofMillis(200);
    static final Duration START_BACKOFF_MAX = Duration.ofSeconds(5);
    /** How often running processor calls are checked for {@link SlowCallWatch}. */
    static final Duration SLOW_CALL_CHECK_INTERVAL = Duration.ofSeconds(10);

    private enum State { NEW, RUNNING, SHUTTING_DOWN, STOPPED }

    private final ConsumerConfig config;
    private final ConsumerMetrics metrics;
    private final RecordProcessorFactory factory;
    private final Random random;
    private final ClientHolder<KinesisAsyncClient> kinesis;
    private final ClientHolder<DynamoDbAsyncClient> dynamo;
    private final LeaseTable table;
    private final ShardSyncer shardSyncer;
    private final ScheduledExecutorService leaseScheduler;
    private final ScheduledExecutorService fetchScheduler;
    private final ExecutorService processorExecutor;
    private final LeaseCoordinator coordinator;
    private final Map<String, ShardConsumer> consumers = new ConcurrentHashMap<>();
    private final List<CompletableFuture<?>> pendingTableWrites = new ArrayList<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    /** Orders state changes against starting shard consumers, so none starts after shutdown began. */
    private final Object lifecycleLock = new Object();
    private final CompletableFuture<Void> shutdownFuture = new CompletableFuture<>();
    private final FailureReporter shardSyncFailures;
    private final SlowCallWatch slowCalls;
    private volatile ScheduledFuture<?> shardSyncTask;
    /** Why the consumer is stopped, for the message of a later start(); set with the STOPPED state. */
    private volatile String stoppedBecause;

    /** A consumer for {@code config}; nothing runs until {@link #start()}. */
    public KinesisConsumer(ConsumerConfig config, RecordProcessorFactory factory) {
        this(config, factory, new Random());
    }

    KinesisConsumer(ConsumerConfig config, RecordProcessorFactory factory, Random random) {
        this.config = config;
        this.metrics = SafeMetrics.wrap(config.metrics());
        this.shardSyncFailures = new FailureReporter(log, metrics);
        this.slowCalls = new SlowCallWatch(config.workerId(), SlowCallWatch.FIRST_REPORT_AFTER, metrics);
        this.factory = factory;
        this.random = random;
        this.kinesis = config.kinesisClient().map(ClientHolder::shared)
                .orElseGet(() -> ClientHolder.owned(buildKinesis(config)));
        this.dynamo = config.dynamoDbClient().map(ClientHolder::shared)
                .orElseGet(() -> ClientHolder.owned(buildDynamo(config)));
        this.table = new LeaseTable(dynamo.client(), config.leaseTableName());
        this.shardSyncer = new ShardSyncer(kinesis.client(), config.streamName(), table, config.initialPosition(),
                config.completedLeaseCleanupDelay());
        String worker = config.workerId();
        this.leaseScheduler = scheduler(3, new NamedThreadFactory(worker, "lease", this));
        this.fetchScheduler = scheduler(2, new NamedThreadFactory(worker, "fetch", this));
        this.processorExecutor = Executors.newCachedThreadPool(new NamedThreadFactory(worker, "processor", this));
        this.coordinator = new LeaseCoordinator(table, worker, config.failoverTime(), config.leaseRenewalInterval(),
                config.leaseScanInterval(), config.maxLeasesToStealAtOneTime(), metrics, config.clock(),
                random, leaseScheduler, new LeaseEvents());
    }

    private static ScheduledExecutorService scheduler(int threads, NamedThreadFactory factory) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(threads, factory);
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    private static KinesisAsyncClient buildKinesis(ConsumerConfig config) {
        KinesisAsyncClientBuilder b = KinesisAsyncClient.builder();
        config.region().ifPresent(b::region);
        config.kinesisEndpoint().ifPresent(b::endpointOverride);
        config.credentialsProvider().ifPresent(b::credentialsProvider);
        return b.build();
    }

    private static DynamoDbAsyncClient buildDynamo(ConsumerConfig config) {
        DynamoDbAsyncClientBuilder b = DynamoDbAsyncClient.builder();
        config.region().ifPresent(b::region);
        config.dynamoDbEndpoint().ifPresent(b::endpointOverride);
        config.credentialsProvider().ifPresent(b::credentialsProvider);
        return b.build();
    }

    public ConsumerConfig config() {
        return config;
    }

    /**
     * Checks the stream (DescribeStreamSummary), creates the lease table if missing (and waits until it is ACTIVE),
     * checks the table's key schema and every lease row, creates leases for shards without one, then starts
     * renewing, taking and processing leases in the background. Returns when that has started. Transient failures
     * (throttling, 5xx, connection problems) are retried for up to 60 s; anything else fails at once.
     *
     * @throws IllegalStateException if this consumer was started before (a consumer runs once: build a new one)
     * @throws LeaseTableException if the lease table has another key schema, or rows the consumer cannot use
     *                             (unreadable, or another stream's); the message names each row and its repair
     * @throws KinesisConsumerException if the stream or the lease table cannot be reached, naming the operation,
     *                                  the resource and, for credentials or permissions, what to change
     */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException(whyNotStartable());
        }
        log.info("Starting consumer {}", config);
        Backoff backoff = Backoff.of(START_BACKOFF_BASE, START_BACKOFF_MAX, random::nextDouble);
        long deadline = 0;
        int failures = 0;
        try {
            while (true) {
                try {
                    // the stream before the table: a wrong stream name leaves no empty table behind
                    StreamIdentity stream = shardSyncer.describeStream();
                    table.ensureTable(TABLE_READY_TIMEOUT);
                    table.bindStream(stream);
                    LeaseScan scan = table.scan().join();
                    UnusableRows.refuseIfAny(table.tableName(), config.streamName(), scan);
                    int created = shardSyncer.sync(scan);
                    log.info("Worker {}: lease table {} ready for stream {}, {} new leases", config.workerId(),
                            table.tableName(), stream, created);
                    break;
                } catch (RuntimeException e) {
                    Throwable cause = Failures.unwrap(e);
                    long now = System.nanoTime();
                    if (++failures == 1) {
                        deadline = now + START_RETRY_TIME.toNanos();
                    }
                    if (!Failures.isTransient(cause)) {
                        throw failedStart(startFailure(cause, null));
                    }
                    if (now - deadline >= 0) {
                        throw failedStart(startFailure(cause, "still failing after " + failures + " attempts in "
                                + START_RETRY_TIME.toSeconds() + " s"));
                    }
                    long delay = Math.min(backoff.delay(failures).toNanos(), deadline - now);
                    log.warn("Consumer {} could not start yet (attempt {}); retrying in {} ms: {}", config.workerId(),
                            failures, TimeUnit.NANOSECONDS.toMillis(delay), Failures.describe(cause));
                    TimeUnit.NANOSECONDS.sleep(delay);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failedStart(new KinesisConsumerException("consumer " + config.workerId()
                    + " was interrupted while starting", e));
        }
        coordinator.start();
        long sync = config.shardSyncInterval().toMillis();
        shardSyncTask = leaseScheduler.scheduleWithFixedDelay(this::syncShards, sync, sync, TimeUnit.MILLISECONDS);
        long check = SLOW_CALL_CHECK_INTERVAL.toMillis();
        leaseScheduler.scheduleWithFixedDelay(() -> slowCalls.check(consumers.values(), System.nanoTime()), check,
                check, TimeUnit.MILLISECONDS);
    }

    /** What start() says when the consumer is not NEW. */
    private String whyNotStartable() {
        String id = "consumer " + config.workerId();
        String once = ": a KinesisConsumer runs once; build a new one (with the same config) to start again";
        return switch (state.get()) {
            case RUNNING -> id + " is already running: start() was called before";
            case SHUTTING_DOWN -> id + " is shutting down" + once;
            case STOPPED -> id + " " + stoppedBecause + once;
            case NEW -> id + " is new"; // lost a race with a concurrent start()
        };
    }

    /** Stops what a failed start() began and returns {@code e} for throwing. */
    private KinesisConsumerException failedStart(KinesisConsumerException e) {
        synchronized (lifecycleLock) {
            state.set(State.STOPPED);
            stoppedBecause = "failed to start (" + e.getMessage() + ")";
        }
        stopThreads();
        closeClients();
        shutdownFuture.complete(null);
        return e;
    }

    /** The exception start() throws for {@code cause}; {@code gaveUp} says how long it was retried, if it was. */
    private KinesisConsumerException startFailure(Throwable cause, String gaveUp) {
        if (cause instanceof KinesisConsumerException k) {
            return k; // a LeaseTableException: its message is complete
        }
        StringBuilder m = new StringBuilder("could not start consumer ").append(config.workerId())
                .append(" on stream ").append(config.streamName()).append(" with lease table ")
                .append(table.tableName()).append(": ");
        if (gaveUp != null) {
            m.append(gaveUp).append(": ");
        }
        m.append(Failures.describe(cause));
        Throwable sdk = Failures.sdkCause(cause);
        if (sdk instanceof ResourceNotFoundException) {
            m.append(". Stream ").append(config.streamName()).append(" does not exist ").append(kinesisLocation())
                    .append(": check streamName, and region / kinesisEndpoint (or those of the kinesisClient you "
                            + "pass)");
        } else if (Failures.classify(sdk) == Failures.Kind.TRANSIENT && sdk instanceof SdkClientException) {
            m.append(". Check the endpoints (kinesisEndpoint, dynamoDbEndpoint), the region and the network");
        }
        return new KinesisConsumerException(m.toString(), cause);
    }

    /** "in region R at endpoint E", as far as the Kinesis client says. */
    private String kinesisLocation() {
        try {
            var c = kinesis.client().serviceClientConfiguration();
            return "in region " + c.region() + c.endpointOverride().map(u -> " at endpoint " + u).orElse("");
        } catch (RuntimeException e) {
            return "in the client's region";
        }
    }

    /**
     * How start() classifies failures (one place for the whole consumer: {@link Failures}); kept for tests.
     */
    static boolean isTransient(Throwable e) {
        return Failures.isTransient(e);
    }

    private void syncShards() {
        try {
            shardSyncer.sync();
            shardSyncFailures.recovered();
        } catch (RuntimeException e) {
            shardSyncFailures.report("Shard sync of worker " + config.workerId(), "retrying in "
                    + config.shardSyncInterval(), e);
        }
    }

    /** Shards whose records this worker is delivering now. */
    public Set<String> activeShards() {
        return Set.copyOf(consumers.keySet());
    }

    /** Leases this worker holds (including failed shards and leases waiting for a handoff). */
    public Set<String> heldLeases() {
        return coordinator.heldLeaseKeys();
    }

    /**
     * Shuts down gracefully: stops taking leases and fetching, lets running processRecords calls finish, calls
     * shutdownRequested on every processor (checkpoint there), then releases the leases so peers take them at once,
     * and closes the clients the consumer built. Idempotent: a second call returns the same future. Before
     * {@link #start()} it only closes the clients the consumer built; the consumer cannot be started afterwards.
     *
     * <p>Do not wait for the returned future inside a processor callback: the shutdown waits for that callback to
     * return. Use {@link #close(Duration)}, which knows.
     *
     * @return completes when all of that is done
     */
    public CompletableFuture<Void> shutdown() {
        return shutdown("was shut down (shutdown() or close())");
    }

    private CompletableFuture<Void> shutdown(String reason) {
        boolean begin = false;
        boolean beforeStart = false;
        State was;
        synchronized (lifecycleLock) {
            was = state.get();
            if (was == State.NEW) {
                state.set(State.STOPPED);
                stoppedBecause = reason + " before it was started";
                beforeStart = true;
            } else if (was == State.RUNNING) {
                state.set(State.SHUTTING_DOWN);
                stoppedBecause = reason;
                begin = true;
            }
        }
        if (beforeStart) {
            log.info("Consumer {} shut down before start(): nothing was running", config.workerId());
            stopThreads();
            closeClients();
            shutdownFuture.complete(null);
        } else if (begin) {
            Thread t = new NamedThreadFactory(config.workerId(), "shutdown", this).newThread(this::doShutdown);
            t.start();
        } else {
            log.info("Consumer {}: shutdown requested again; it {}", config.workerId(),
                    was == State.SHUTTING_DOWN ? "is already shutting down" : stoppedBecause);
        }
        return shutdownFuture;
    }

    /**
     * {@link #shutdown()} and waits up to {@code timeout}; after that, stops at once (leases left expire after the
     * failover time).
     *
     * <p>Called on one of the consumer's own threads (from a processor, dead-letter or metrics callback), it cannot
     * wait, since the shutdown waits for that callback: it begins the shutdown, logs a warning and returns false at
     * once; the shutdown completes after the callback returns.
     *
     * @return true if the graceful shutdown completed in time
     */
    public boolean close(Duration timeout) {
        CompletableFuture<Void> done = shutdown("was closed");
        if (NamedThreadFactory.isCurrentThreadOf(this) && !done.isDone()) {
            log.warn("Consumer {}: close() was called on the consumer's own thread {} (from a processor or other "
                    + "callback), which the shutdown has to wait for; the shutdown goes on in the background once "
                    + "the callback returns", config.workerId(), Thread.currentThread().getName());
            return false;
        }
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            log.warn("Graceful shutdown of {} did not finish within {} (a processor callback still running?); "
                    + "stopping now without releasing the leases still held", config.workerId(), timeout);
            halt();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            halt();
            return false;
        } catch (ExecutionException e) {
            log.warn("Shutdown of {} failed", config.workerId(), e.getCause());
            halt();
            return false;
        }
    }

    /** {@link #close(Duration)} with 30 s. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    private void doShutdown() {
        try {
            log.info("Worker {} shutting down: releasing {} leases", config.workerId(), coordinator.heldLeaseKeys()
                    .size());
            cancelShardSync();
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
            log.info("Worker {} shut down", config.workerId());
        } catch (RuntimeException e) {
            log.warn("Graceful shutdown of {} failed", config.workerId(), e);
        } finally {
            synchronized (lifecycleLock) {
                state.set(State.STOPPED);
            }
            stopThreads();
            closeClients();
            shutdownFuture.complete(null);
        }
    }

    /**
     * Stops everything at once without callbacks, checkpoints or releasing leases, as if the process had died:
     * peers take the leases after they expire. For tests and for {@link #close(Duration)} after its timeout.
     */
    void halt() {
        State previous;
        synchronized (lifecycleLock) {
            previous = state.getAndSet(State.STOPPED);
            if (previous == State.NEW) {
                stoppedBecause = "was halted before it was started";
            } else if (stoppedBecause == null) {
                stoppedBecause = "was halted";
            }
        }
        if (previous == State.STOPPED) {
            stopThreads();
            return;
        }
        log.warn("Worker {} halting without releasing its {} leases (they expire after {})", config.workerId(),
                coordinator.heldLeaseKeys().size(), config.failoverTime());
        cancelShardSync();
        coordinator.stopRenewing();
        for (ShardConsumer c : consumers.values()) {
            c.halt();
        }
        stopThreads();
        closeClients();
        shutdownFuture.complete(null);
    }

    private void cancelShardSync() {
        ScheduledFuture<?> t = shardSyncTask;
        if (t != null) {
            t.cancel(false);
        }
    }

    private void stopThreads() {
        leaseScheduler.shutdownNow();
        fetchScheduler.shutdownNow();
        processorExecutor.shutdown();
    }

    private void closeClients() {
        kinesis.close();
        dynamo.close();
    }

    private ShardConsumer newShardConsumer(Lease lease) {
        String shardId = lease.leaseKey();
        HashKeyRange range = null;
        if (lease.startingHashKey() != null && lease.endingHashKey() != null) {
            try {
                range = HashKeyRange.of(lease.startingHashKey(), lease.endingHashKey());
            } catch (IllegalArgumentException e) {
                log.warn("Lease {} has an invalid hash range; not filtering by hash key", shardId);
            }
        }
        Backoff fetchBackoff = Backoff.of(config.minTimeBetweenReads(), Duration.ofSeconds(10), random::nextDouble);
        ShardFetcher fetcher = new ShardFetcher(kinesis.client(), config.streamName(), shardId, range,
                lease.checkpoint(), config.initialPosition(), config.maxRecords(), config.minTimeBetweenReads(),
                config.idleTimeBetweenReads(), config.maxPrefetchBatches(), fetchScheduler, metrics,
                fetchBackoff);
        ShardCheckpointer checkpointer = new ShardCheckpointer(shardId, config.workerId(), table, lease.checkpoint(),
                metrics, config.clock());
        ShardConsumer.FailurePolicy policy = new ShardConsumer.FailurePolicy(config.processorFailurePolicy(),
                config.processorMaxAttempts(), Backoff.of(config.processorRetryBackoffBase(),
                        config.processorRetryBackoffMax(), random::nextDouble),
                config.deadLetterHandler().orElse(null));
        return new ShardConsumer(shardId, lease.checkpoint(), factory, fetcher, checkpointer, policy,
                metrics, new ConsumerEvents());
    }

    private void track(CompletableFuture<?> write) {
        synchronized (pendingTableWrites) {
            pendingTableWrites.removeIf(CompletableFuture::isDone);
            pendingTableWrites.add(write);
        }
    }

    /** Reacts to the lease coordinator. */
    private final class LeaseEvents implements LeaseCoordinator.Listener {
        @Override
        public void leaseAcquired(Lease lease) {
            synchronized (lifecycleLock) {
                State s = state.get();
                if (s == State.RUNNING) {
                    ShardConsumer c = newShardConsumer(lease);
                    ShardConsumer previous = consumers.put(lease.leaseKey(), c);
                    if (previous != null && !previous.done().isDone()) {
                        // a processor of an earlier lease of this shard is still running (stuck after a forced
                        // handoff): its checkpoints would pass the table's owner check again, now that this
                        // worker owns the lease, and could move the new processor's checkpoint backwards
                        log.warn("Worker {} took shard {} again while the processor of its previous lease is still "
                                + "running; that processor gets leaseLost and can no longer checkpoint",
                                config.workerId(), lease.leaseKey());
                        previous.leaseLost();
                    }
                    log.info("Worker {} processing shard {} from {}", config.workerId(), lease.leaseKey(),
                            lease.checkpoint());
                    processorExecutor.execute(c);
                    return;
                }
                if (s != State.SHUTTING_DOWN) {
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
                track(table.finishHandoff(leaseKey, config.workerId()));
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
                case SHUTDOWN:
                case SHARD_END:
                    track(coordinator.release(key));
                    break;
                case HANDOFF:
                    track(table.finishHandoff(key, config.workerId()).whenComplete((ok, e) -> log.info(
                            "Worker {} finished handing off shard {}", config.workerId(), key)));
                    break;
                case FAILED:
                    log.error("Worker {} stopped shard {}; it keeps the lease until shutdown", config.workerId(), key);
                    break;
                default:
                    break;
            }
        }
    }
}
