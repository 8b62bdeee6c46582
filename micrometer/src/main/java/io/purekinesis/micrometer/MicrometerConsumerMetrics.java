package io.purekinesis.micrometer;

import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_BYTES_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_CHECKPOINT_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_HELD;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_LOST;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_STOLEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_TAKEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_MILLIS_BEHIND_LATEST;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_NON_TRANSIENT_FAILURES;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_DEAD_LETTERED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_OUTSIDE_HASH_RANGE;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SHARDS_ENDED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SHARDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SLOW_PROCESSOR_CALLS;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_UNUSABLE_LEASE_ROWS;
import static io.purekinesis.micrometer.PureKinesisMeters.TAG_CALL;
import static io.purekinesis.micrometer.PureKinesisMeters.TAG_OPERATION;
import static io.purekinesis.micrometer.PureKinesisMeters.TAG_SHARD;
import static io.purekinesis.micrometer.PureKinesisMeters.TAG_STREAM;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.purekinesis.consumer.ConsumerMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer's measurements as Micrometer meters: pass it to {@code ConsumerConfig.Builder.metrics}, one binding
 * per consumer. Meter names are the {@code CONSUMER_*} constants of {@link PureKinesisMeters}; each meter carries
 * the common tags and, when {@link Builder#stream(String) stream} is set, the tag {@code stream}.
 *
 * <pre>{@code
 * MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry)
 *         .stream("orders")
 *         .commonTags(Tags.of("application", "billing"))
 *         .build();
 * KinesisConsumer consumer = new KinesisConsumer(ConsumerConfig.builder()
 *         .streamName("orders").applicationName("billing").metrics(metrics).build(), MyProcessor::new);
 * }</pre>
 *
 * <p><b>Shards.</b> With {@link Builder#perShardTags(boolean) per-shard tags} the per-shard meters (records and
 * bytes processed, lag, records dead-lettered or outside the hash range, checkpoint time) carry the tag {@code shard},
 * and exist only while this worker holds the shard: they are removed when its lease is lost, when the shard ended,
 * and when the worker reports holding fewer leases than the shards it has meters for (a lease handed off to a
 * balancing peer; the shards whose reports are oldest go first, and a shard removed by mistake comes back with its
 * next report). The number of meters then follows the shards this worker holds. Without per-shard tags (the
 * default) the shards share one set of meters, and {@code millis.behind.latest} is the largest lag over the shards
 * held: the number of meters does not depend on the number of shards.
 *
 * <p><b>Fleet.</b> {@code leases.held} (gauge), {@code leases.taken}, {@code leases.stolen} and {@code leases.lost}
 * (counters) have no shard tag; summed over the workers' tags they give the fleet's view.
 *
 * <p>Thread-safe; the consumer calls it from its lease, fetch, processor and checkpoint threads. A failure of the
 * registry is logged (WARN once per callback, then DEBUG) and never reaches the consumer. {@link #close()} removes
 * every meter from the registry; call it after the consumer has shut down.
 */
public final class MicrometerConsumerMetrics implements ConsumerMetrics, AutoCloseable {

    private final MeterRegistry registry;
    private final Tags tags;
    private final boolean perShardTags;
    private final MeterGuard guard = new MeterGuard("MicrometerConsumerMetrics");
    private final Registered registered;
    /** The shards this worker reported on and has not let go, with their last lag. */
    private final Map<String, ShardState> shards = new ConcurrentHashMap<>();
    /** Orders reports, so that the shards whose reports are oldest can be told apart without a clock. */
    private final AtomicLong reports = new AtomicLong();
    private final AtomicInteger leasesHeld = new AtomicInteger();
    /** The per-shard meters all shards share when per-shard tags are off; null otherwise. */
    private final ShardMeters shared;
    private final Counter leasesTaken;
    private final Counter leasesStolen;
    private final Counter leasesLost;
    private final Counter shardsEnded;
    private final Counter shardsFailed;
    private final Counter unusableLeaseRows;
    private final Map<String, Counter> nonTransientFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> slowProcessorCalls = new ConcurrentHashMap<>();

    private MicrometerConsumerMetrics(Builder b) {
        this.registry = b.registry;
        this.tags = b.stream == null ? b.commonTags : b.commonTags.and(TAG_STREAM, b.stream);
        this.perShardTags = b.perShardTags;
        this.registered = new Registered(registry);
        registered.add(Gauge.builder(CONSUMER_LEASES_HELD, leasesHeld, AtomicInteger::get)
                .description("Leases this worker holds after its last lease cycle").baseUnit("leases").tags(tags)
                .strongReference(true).register(registry));
        leasesTaken = counter(CONSUMER_LEASES_TAKEN, "Unowned or expired leases taken", "leases", tags);
        leasesStolen = counter(CONSUMER_LEASES_STOLEN, "Leases stolen from a more loaded worker", "leases", tags);
        leasesLost = counter(CONSUMER_LEASES_LOST, "Leases lost to another worker or to expiry", "leases", tags);
        shardsEnded = counter(CONSUMER_SHARDS_ENDED, "Shards read to their end and checkpointed at SHARD_END",
                "shards", tags);
        shardsFailed = counter(CONSUMER_SHARDS_FAILED, "Shards stopped because their processor kept failing",
                "shards", tags);
        unusableLeaseRows = counter(CONSUMER_UNUSABLE_LEASE_ROWS, "Reports of a lease-table row that cannot be used",
                null, tags);
        if (perShardTags) {
            shared = null;
        } else {
            shared = new ShardMeters(tags);
            registered.add(Gauge.builder(CONSUMER_MILLIS_BEHIND_LATEST, this, MicrometerConsumerMetrics::maxLag)
                    .description("The largest MillisBehindLatest over the shards this worker holds")
                    .baseUnit("milliseconds").tags(tags).strongReference(true).register(registry));
        }
    }

    /**
     * Starts a binding to {@code registry}: no common tags, no stream tag, per-shard tags off.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public void recordsProcessed(String shardId, int records, long bytes) {
        try {
            ShardMeters m = shard(shardId).meters;
            m.recordsProcessed.increment(records);
            m.bytesProcessed.increment(bytes);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("recordsProcessed", e);
        }
    }

    @Override
    public void millisBehindLatest(String shardId, long millis) {
        try {
            shard(shardId).millisBehind.set(millis);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("millisBehindLatest", e);
        }
    }

    @Override
    public void recordsOutsideHashRange(String shardId, int records) {
        try {
            shard(shardId).meters.recordsOutsideHashRange.increment(records);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("recordsOutsideHashRange", e);
        }
    }

    @Override
    public void leasesHeld(int leases) {
        try {
            leasesHeld.set(leases);
            forgetShardsBeyond(leases);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("leasesHeld", e);
        }
    }

    @Override
    public void leaseTaken(String shardId) {
        try {
            leasesTaken.increment();
        } catch (RuntimeException | LinkageError e) {
            guard.failed("leaseTaken", e);
        }
    }

    @Override
    public void leaseStolen(String shardId, String fromWorker) {
        try {
            leasesStolen.increment();
        } catch (RuntimeException | LinkageError e) {
            guard.failed("leaseStolen", e);
        }
    }

    @Override
    public void leaseLost(String shardId) {
        try {
            leasesLost.increment();
            forget(shardId);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("leaseLost", e);
        }
    }

    @Override
    public void checkpointLatency(String shardId, Duration latency) {
        try {
            shard(shardId).meters.checkpointTime.record(latency);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("checkpointLatency", e);
        }
    }

    @Override
    public void recordsDeadLettered(String shardId, int records) {
        try {
            shard(shardId).meters.recordsDeadLettered.increment(records);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("recordsDeadLettered", e);
        }
    }

    @Override
    public void shardEnded(String shardId) {
        try {
            shardsEnded.increment();
            forget(shardId);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("shardEnded", e);
        }
    }

    @Override
    public void shardFailed(String shardId, Throwable cause) {
        try {
            shardsFailed.increment();
        } catch (RuntimeException | LinkageError e) {
            guard.failed("shardFailed", e);
        }
    }

    @Override
    public void unusableLeaseRow(String leaseKey, String problem) {
        try {
            unusableLeaseRows.increment();
        } catch (RuntimeException | LinkageError e) {
            guard.failed("unusableLeaseRow", e);
        }
    }

    @Override
    public void nonTransientFailure(String operation, String resource, Throwable cause) {
        try {
            nonTransientFailures.computeIfAbsent(String.valueOf(operation), op -> counter(
                    CONSUMER_NON_TRANSIENT_FAILURES, "Calls that failed for a reason that does not pass by itself",
                    null, tags.and(TAG_OPERATION, op))).increment();
        } catch (RuntimeException | LinkageError e) {
            guard.failed("nonTransientFailure", e);
        }
    }

    @Override
    public void slowProcessorCall(String shardId, String call, Duration runningFor) {
        try {
            slowProcessorCalls.computeIfAbsent(String.valueOf(call), c -> counter(CONSUMER_SLOW_PROCESSOR_CALLS,
                    "Reports of a processor call running for a minute or more", null, tags.and(TAG_CALL, c)))
                    .increment();
        } catch (RuntimeException | LinkageError e) {
            guard.failed("slowProcessorCall", e);
        }
    }

    /** Removes every meter this binding registered from the registry; later calls register them again. */
    @Override
    public void close() {
        shards.clear();
        nonTransientFailures.clear();
        slowProcessorCalls.clear();
        registered.removeAll();
    }

    private ShardState shard(String shardId) {
        String id = String.valueOf(shardId);
        ShardState s = shards.computeIfAbsent(id, this::newShard);
        s.lastReport = reports.incrementAndGet();
        return s;
    }

    private ShardState newShard(String shardId) {
        ShardState s = new ShardState();
        if (perShardTags) {
            Tags shardTags = tags.and(TAG_SHARD, shardId);
            s.meters = new ShardMeters(shardTags);
            s.lagGauge = registered.add(Gauge.builder(CONSUMER_MILLIS_BEHIND_LATEST, s.millisBehind, AtomicLong::get)
                    .description("MillisBehindLatest of the last GetRecords of the shard").baseUnit("milliseconds")
                    .tags(shardTags).strongReference(true).register(registry));
        } else {
            s.meters = shared;
        }
        return s;
    }

    /** The shard is no longer held here: its lag no longer counts, and its own meters go. */
    private void forget(String shardId) {
        ShardState s = shards.remove(String.valueOf(shardId));
        if (s != null && perShardTags) {
            s.meters.removeFrom(registered);
            registered.remove(s.lagGauge);
        }
    }

    /** Lets go the shards reported on longest ago while there are more of them than leases held. */
    private void forgetShardsBeyond(int leases) {
        int excess = shards.size() - Math.max(0, leases);
        if (excess <= 0) {
            return;
        }
        List<Map.Entry<String, ShardState>> oldestFirst = new ArrayList<>(shards.entrySet());
        oldestFirst.sort(Comparator.comparingLong(e -> e.getValue().lastReport));
        for (int i = 0; i < excess && i < oldestFirst.size(); i++) {
            forget(oldestFirst.get(i).getKey());
        }
    }

    private long maxLag() {
        long max = 0;
        for (ShardState s : shards.values()) {
            max = Math.max(max, s.millisBehind.get());
        }
        return max;
    }

    private Counter counter(String name, String description, String unit, Iterable<Tag> meterTags) {
        return registered.add(Counter.builder(name).description(description).baseUnit(unit).tags(meterTags)
                .register(registry));
    }

    /** A shard this worker reported on. */
    private static final class ShardState {
        final AtomicLong millisBehind = new AtomicLong();
        volatile long lastReport;
        ShardMeters meters;
        Gauge lagGauge;
    }

    /** The meters of one shard, or of all shards when per-shard tags are off. */
    private final class ShardMeters {
        final Counter recordsProcessed;
        final Counter bytesProcessed;
        final Counter recordsOutsideHashRange;
        final Counter recordsDeadLettered;
        final Timer checkpointTime;

        ShardMeters(Tags meterTags) {
            recordsProcessed = counter(CONSUMER_RECORDS_PROCESSED,
                    "Records delivered to processRecords calls that returned normally", "records", meterTags);
            bytesProcessed = counter(CONSUMER_BYTES_PROCESSED, "Bytes of the records processed", "bytes",
                    meterTags);
            recordsOutsideHashRange = counter(CONSUMER_RECORDS_OUTSIDE_HASH_RANGE,
                    "User records dropped because their hash key lies outside the shard's range", "records",
                    meterTags);
            recordsDeadLettered = counter(CONSUMER_RECORDS_DEAD_LETTERED,
                    "Records handed to the dead-letter handler", "records", meterTags);
            checkpointTime = registered.add(Timer.builder(CONSUMER_CHECKPOINT_TIME)
                    .description("Duration of successful checkpoint writes").tags(meterTags).register(registry));
        }

        void removeFrom(Registered r) {
            for (Meter m : List.of(recordsProcessed, bytesProcessed, recordsOutsideHashRange, recordsDeadLettered,
                    checkpointTime)) {
                r.remove(m);
            }
        }
    }

    /** Configures a {@link MicrometerConsumerMetrics}. Not thread-safe; each {@link #build()} is independent. */
    public static final class Builder {

        private final MeterRegistry registry;
        private Tags commonTags = Tags.empty();
        private String stream;
        private boolean perShardTags;

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * Tags added to every meter, e.g. {@code Tags.of("application", "billing", "worker", workerId)}. Default:
         * none.
         *
         * @throws NullPointerException if {@code tags} is null
         */
        public Builder commonTags(Iterable<Tag> tags) {
            this.commonTags = Tags.of(Objects.requireNonNull(tags, "tags"));
            return this;
        }

        /**
         * The stream the consumer reads, added to every meter as the tag {@code stream} (the consumer's callbacks
         * do not name it). Default: none, no such tag.
         */
        public Builder stream(String streamName) {
            this.stream = streamName;
            return this;
        }

        /**
         * Whether the per-shard meters carry the tag {@code shard}, one set per shard this worker holds (see the
         * class description). Default: {@code false}, which keeps the number of meters independent of the number of
         * shards, for streams with thousands of them.
         */
        public Builder perShardTags(boolean value) {
            this.perShardTags = value;
            return this;
        }

        /** Registers the meters that exist from the start (lease counts, and the shared ones) and returns it. */
        public MicrometerConsumerMetrics build() {
            return new MicrometerConsumerMetrics(this);
        }
    }
}
