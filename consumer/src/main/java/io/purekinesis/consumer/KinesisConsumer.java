package io.purekinesis.consumer;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.internal.Backoff;
import io.purekinesis.consumer.internal.ClientHolder;
import io.purekinesis.consumer.internal.NamedThreadFactory;
import io.purekinesis.consumer.internal.SafeMetrics;
import io.purekinesis.consumer.internal.checkpoint.ShardCheckpointer;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer.Outcome;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseCoordinator;
import io.purekinesis.consumer.internal.lease.LeaseTable;
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
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.model.ChildShard;

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
    private volatile ScheduledFuture<?> shardSyncTask;

    /** A consumer for {@code config}; nothing runs until {@link #start()}. */
    public KinesisConsumer(ConsumerConfig config, RecordProcessorFactory factory) {
        this(config, factory, new Random());
    }

    KinesisConsumer(ConsumerConfig config, RecordProcessorFactory factory, Random random) {
        this.config = config;
        this.metrics = SafeMetrics.wrap(config.metrics());
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
        this.leaseScheduler = scheduler(3, new NamedThreadFactory(worker, "lease"));
        this.fetchScheduler = scheduler(2, new NamedThreadFactory(worker, "fetch"));
        this.processorExecutor = Executors.newCachedThreadPool(new NamedThreadFactory(worker, "processor"));
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
     * Creates the lease table if missing (and waits until it is ACTIVE), creates leases for shards without one,
     * then starts renewing, taking and processing leases in the background. Returns when that has started.
     *
     * @throws IllegalStateException if already started
     * @throws KinesisConsumerException if the lease table or the stream cannot be reached
     */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("consumer " + config.workerId() + " was already started");
        }
        log.info("Starting consumer {}", config);
        Backoff backoff = Backoff.of(START_BACKOFF_BASE, START_BACKOFF_MAX, random::nextDouble);
        long deadline = 0;
        int failures = 0;
        try {
            while (true) {
                try {
                    shardSyncer.checkStream(); // before the table: a wrong stream name leaves no empty table behind
                    table.ensureTable(TABLE_READY_TIMEOUT);
                    int created = shardSyncer.sync();
                    log.info("Worker {}: lease table {} ready, {} new leases", config.workerId(), table.tableName(),
                            created);
                    break;
                } catch (RuntimeException e) {
                    Throwable cause = LeaseTable.unwrap(e);
                    long now = System.nanoTime();
                    if (++failures == 1) {
                        deadline = now + START_RETRY_TIME.toNanos();
                    }
                    String what = "could not start consumer " + config.workerId() + " on stream "
                            + config.streamName() + " with lease table " + table.tableName();
                    if (!isTransient(cause)) {
                        halt();
                        throw new KinesisConsumerException(what + ": " + cause, cause);
                    }
                    if (now - deadline >= 0) {
                        halt();
                        throw new KinesisConsumerException(what + ": still failing after " + failures
                                + " attempts in " + START_RETRY_TIME.toSeconds() + " s: " + cause, cause);
                    }
                    long delay = Math.min(backoff.delay(failures).toNanos(), deadline - now);
                    log.warn("{} (attempt {}); retrying in {} ms: {}", what, failures,
                            TimeUnit.NANOSECONDS.toMillis(delay), cause.toString());
                    TimeUnit.NANOSECONDS.sleep(delay);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            halt();
            throw new KinesisConsumerException("interrupted while starting", e);
        }
        coordinator.start();
        long sync = config.shardSyncInterval().toMillis();
        shardSyncTask = leaseScheduler.scheduleWithFixedDelay(this::syncShards, sync, sync, TimeUnit.MILLISECONDS);
    }

    /**
     * Whether a failure at start may pass by itself: throttling and limits, 5xx, client-side errors (connection,
     * timeouts) except missing credentials or region. Not: a missing stream, access denied, validation errors.
     */
    static boolean isTransient(Throwable e) {
        if (e instanceof AwsServiceException s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            return s.isThrottlingException() || s.statusCode() >= 500 || isLimit(code)
                    || isLimit(s.getClass().getSimpleName());
        }
        if (e instanceof SdkClientException) {
            String m = e.getMessage();
            return m == null || !(m.startsWith("Unable to load credentials") || m.startsWith("Unable to load region"));
        }
        return e instanceof java.io.IOException || e instanceof TimeoutException;
    }

    private static boolean isLimit(String code) {
        return "LimitExceededException".equals(code) || "ProvisionedThroughputExceededException".equals(code)
                || "RequestLimitExceeded".equals(code) || "ThrottlingException".equals(code);
    }

    private void syncShards() {
        try {
            shardSyncer.sync();
        } catch (RuntimeException e) {
            log.warn("Shard sync failed; retrying in {}", config.shardSyncInterval(), LeaseTable.unwrap(e));
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
     * and closes the clients the consumer built. Idempotent.
     *
     * @return completes when all of that is done
     */
    public CompletableFuture<Void> shutdown() {
        State s = state.get();
        if (s == State.NEW) {
            if (state.compareAndSet(State.NEW, State.STOPPED)) {
                stopThreads();
                closeClients();
                shutdownFuture.complete(null);
            }
            return shutdownFuture;
        }
        boolean begin;
        synchronized (lifecycleLock) {
            begin = state.compareAndSet(State.RUNNING, State.SHUTTING_DOWN);
        }
        if (begin) {
            Thread t = new NamedThreadFactory(config.workerId(), "shutdown").newThread(this::doShutdown);
            t.start();
        }
        return shutdownFuture;
    }

    /**
     * {@link #shutdown()} and waits up to {@code timeout}; after that, stops at once (leases left expire after the
     * failover time).
     *
     * @return true if the graceful shutdown completed in time
     */
    public boolean close(Duration timeout) {
        try {
            shutdown().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            log.warn("Graceful shutdown of {} did not finish within {}; stopping now", config.workerId(), timeout);
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
            state.set(State.STOPPED);
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
        }
        if (previous == State.STOPPED) {
            stopThreads();
            return;
        }
        log.warn("Worker {} halting without releasing its leases", config.workerId());
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
                log.warn("Creating the child leases of {} failed; the next shard sync creates them", shardId,
                        LeaseTable.unwrap(e));
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
