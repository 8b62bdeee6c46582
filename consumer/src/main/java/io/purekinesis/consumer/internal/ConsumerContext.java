package io.purekinesis.consumer.internal;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerMetrics;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * What every component of one consumer shares: its settings, its metrics (guarded), its {@link Time}, its random
 * source and its threads. {@link #create} builds the real ones from a {@link ConsumerConfig}; tests build one on a
 * manual time and scheduler, so nothing in the consumer reads the system's time or starts a thread of its own.
 *
 * <p>Threads (all daemon, named {@code purekinesis-consumer-<workerId>-<role>-<n>}, marked as this context's):
 * {@code lease} (3: fleet monitor, lease lookups, leader duties and the slow-call check), {@code heartbeat} (1: the
 * heartbeat and the self-fencing check), {@code fetch} (2: the GetRecords task chains of all shards),
 * {@code processor} (one per leased shard), {@code shutdown} (during shutdown).
 */
public final class ConsumerContext {

    private final ConsumerConfig config;
    private final ConsumerMetrics metrics;
    private final Time time;
    private final Random random;
    private final ScheduledExecutorService leaseScheduler;
    private final ScheduledExecutorService heartbeatScheduler;
    private final ScheduledExecutorService fetchScheduler;
    private final ExecutorService processorExecutor;

    /** What {@link NamedThreadFactory} marks this consumer's threads with. */
    private final Object threadOwner;

    /** Every part given (tests: a manual time and scheduler); {@link #newThread} threads are marked as ours. */
    public ConsumerContext(ConsumerConfig config, Time time, Random random, ScheduledExecutorService leaseScheduler,
            ScheduledExecutorService fetchScheduler, ExecutorService processorExecutor) {
        this(config, time, random, leaseScheduler, leaseScheduler, fetchScheduler, processorExecutor, new Object());
    }

    private ConsumerContext(ConsumerConfig config, Time time, Random random, ScheduledExecutorService leaseScheduler,
            ScheduledExecutorService heartbeatScheduler, ScheduledExecutorService fetchScheduler,
            ExecutorService processorExecutor, Object threadOwner) {
        this.config = config;
        this.metrics = SafeMetrics.wrap(config.metrics());
        this.time = time;
        this.random = random;
        this.leaseScheduler = leaseScheduler;
        this.heartbeatScheduler = heartbeatScheduler;
        this.fetchScheduler = fetchScheduler;
        this.processorExecutor = processorExecutor;
        this.threadOwner = threadOwner;
    }

    /** The consumer's threads (none started yet), time and random source, from {@code config}. */
    public static ConsumerContext create(ConsumerConfig config) {
        Object owner = new Object();
        String worker = config.workerId();
        return new ConsumerContext(config, Time.of(config.clock()), new Random(),
                scheduler(3, new NamedThreadFactory(worker, "lease", owner)),
                scheduler(1, new NamedThreadFactory(worker, "heartbeat", owner)),
                scheduler(2, new NamedThreadFactory(worker, "fetch", owner)),
                Executors.newCachedThreadPool(new NamedThreadFactory(worker, "processor", owner)), owner);
    }

    private static ScheduledExecutorService scheduler(int threads, NamedThreadFactory factory) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(threads, factory);
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    public ConsumerConfig config() {
        return config;
    }

    public String workerId() {
        return config.workerId();
    }

    /** The user's metrics, guarded by {@link SafeMetrics}. */
    public ConsumerMetrics metrics() {
        return metrics;
    }

    public Time time() {
        return time;
    }

    public Random random() {
        return random;
    }

    /** Fleet monitor, lease lookups, leader duties, the slow-call check. */
    public ScheduledExecutorService leaseScheduler() {
        return leaseScheduler;
    }

    /**
     * The heartbeat and the self-fencing check, on a thread of their own: lease tasks blocked on a DynamoDB that
     * stopped answering must not delay a worker's decision to stop processing (tests: the lease scheduler).
     */
    public ScheduledExecutorService heartbeatScheduler() {
        return heartbeatScheduler;
    }

    /** The GetRecords task chains of every shard. */
    public ScheduledExecutorService fetchScheduler() {
        return fetchScheduler;
    }

    /** One thread per shard consumer, running its processor's calls. */
    public ExecutorService processorExecutor() {
        return processorExecutor;
    }

    /** A thread of this consumer, not started, for {@code role}. */
    public Thread newThread(String role, Runnable task) {
        return new NamedThreadFactory(config.workerId(), role, threadOwner).newThread(task);
    }

    /** True on a thread of this consumer (a processor or other callback calling back into the consumer). */
    public boolean isCurrentThreadOurs() {
        return NamedThreadFactory.isCurrentThreadOf(threadOwner);
    }

    /** Stops the schedulers at once and lets running processor calls finish. */
    public void stopThreads() {
        leaseScheduler.shutdownNow();
        heartbeatScheduler.shutdownNow();
        fetchScheduler.shutdownNow();
        processorExecutor.shutdown();
    }
}
