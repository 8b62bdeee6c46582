package io.purekinesis.micrometer;

import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_BUFFERING_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_PUT;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_OUTSTANDING_BYTES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS_ENTRIES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_RETRIES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_THROTTLED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_DEAD_LETTERED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PENDING;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PUT;
import static io.purekinesis.micrometer.PureKinesisMeters.TAG_SHARD;
import static io.purekinesis.micrometer.PureKinesisMeters.TAG_STREAM;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.purekinesis.producer.ProducerMetrics;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The producer's measurements as Micrometer meters: pass it to {@code ProducerConfig.Builder.metrics}. Meter names
 * are the {@code PRODUCER_*} constants of {@link PureKinesisMeters}; each meter carries the common tags, and the
 * tag {@code stream} unless switched off. Tag cardinality is bounded by default: one set of meters per stream, and
 * per shard only the {@code throttled} counter, and only when {@link Builder#perShardTags(boolean)} is on.
 *
 * <pre>{@code
 * MicrometerProducerMetrics metrics = MicrometerProducerMetrics.builder(registry)
 *         .commonTags(Tags.of("application", "orders"))
 *         .build();
 * KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().metrics(metrics).build());
 * }</pre>
 *
 * <p>Thread-safe; the producer calls it from its sender, SDK response and callback threads, and each call costs a
 * map look-up and an update of a meter. A failure of the registry is logged (WARN once per callback, then DEBUG) and
 * never reaches the producer. {@link #close()} removes the meters from the registry, for an application that closes
 * its producer but keeps running.
 */
public final class MicrometerProducerMetrics implements ProducerMetrics, AutoCloseable {

    private static final String ALL_STREAMS = "";

    private final MeterRegistry registry;
    private final Tags commonTags;
    private final boolean streamTags;
    private final boolean perShardTags;
    private final MeterGuard guard = new MeterGuard("MicrometerProducerMetrics");
    private final Map<String, StreamMeters> streams = new ConcurrentHashMap<>();
    private final Map<String, Counter> throttledByShard = new ConcurrentHashMap<>();
    private final AtomicLong pendingRecords = new AtomicLong();
    private final AtomicLong outstandingBytes = new AtomicLong();
    private final Registered registered;

    private MicrometerProducerMetrics(Builder b) {
        this.registry = b.registry;
        this.commonTags = b.commonTags;
        this.streamTags = b.streamTags;
        this.perShardTags = b.perShardTags;
        this.registered = new Registered(registry);
        registered.add(Gauge.builder(PRODUCER_USER_RECORDS_PENDING, pendingRecords, AtomicLong::get)
                .description("User records added and not yet completed").baseUnit("records")
                .tags(commonTags).strongReference(true).register(registry));
        registered.add(Gauge.builder(PRODUCER_OUTSTANDING_BYTES, outstandingBytes, AtomicLong::get)
                .description("Bytes of the user records added and not yet completed").baseUnit("bytes")
                .tags(commonTags).strongReference(true).register(registry));
    }

    /**
     * Starts a binding to {@code registry}: no common tags, tag {@code stream} on, per-shard tags off.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public void userRecordsPut(String stream, int count) {
        try {
            meters(stream).userRecordsPut.increment(count);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("userRecordsPut", e);
        }
    }

    @Override
    public void userRecordsFailed(String stream, int count) {
        try {
            meters(stream).userRecordsFailed.increment(count);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("userRecordsFailed", e);
        }
    }

    @Override
    public void userRecordsDeadLettered(String stream, int count) {
        try {
            meters(stream).userRecordsDeadLettered.increment(count);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("userRecordsDeadLettered", e);
        }
    }

    @Override
    public void kinesisRecordsPut(String stream, int count) {
        try {
            meters(stream).kinesisRecordsPut.increment(count);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("kinesisRecordsPut", e);
        }
    }

    @Override
    public void putRecordsCall(String stream, int entries, int failedEntries, long durationMillis) {
        try {
            StreamMeters m = meters(stream);
            m.putRecords.record(Math.max(0, durationMillis), TimeUnit.MILLISECONDS);
            m.putRecordsEntries.record(entries);
            if (failedEntries > 0) {
                m.kinesisRecordsFailed.increment(failedEntries);
            }
        } catch (RuntimeException | LinkageError e) {
            guard.failed("putRecordsCall", e);
        }
    }

    @Override
    public void retries(String stream, int entries) {
        try {
            meters(stream).retries.increment(entries);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("retries", e);
        }
    }

    @Override
    public void bufferingTime(String stream, long millis) {
        try {
            meters(stream).bufferingTime.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
        } catch (RuntimeException | LinkageError e) {
            guard.failed("bufferingTime", e);
        }
    }

    @Override
    public void throttled(String stream, String shardId) {
        try {
            if (perShardTags) {
                String key = streamKey(stream) + '\u0000' + shardId;
                throttledByShard.computeIfAbsent(key, k -> registered.add(Counter.builder(PRODUCER_THROTTLED)
                        .description("Times a shard's entries were held back by the client-side rate limit")
                        .tags(streamTags(stream)).tag(TAG_SHARD, String.valueOf(shardId)).register(registry)))
                        .increment();
            } else {
                meters(stream).throttled.increment();
            }
        } catch (RuntimeException | LinkageError e) {
            guard.failed("throttled", e);
        }
    }

    @Override
    public void outstanding(long records, long bytes) {
        pendingRecords.set(records);
        outstandingBytes.set(bytes);
    }

    /** Removes every meter this binding registered from the registry; later calls register them again. */
    @Override
    public void close() {
        streams.clear();
        throttledByShard.clear();
        registered.removeAll();
    }

    private StreamMeters meters(String stream) {
        return streams.computeIfAbsent(streamKey(stream), k -> new StreamMeters(streamTags(stream)));
    }

    private String streamKey(String stream) {
        return streamTags ? String.valueOf(stream) : ALL_STREAMS;
    }

    private Tags streamTags(String stream) {
        return streamTags ? commonTags.and(TAG_STREAM, String.valueOf(stream)) : commonTags;
    }

    /** The meters of one stream (or of all, when the stream tag is off). */
    private final class StreamMeters {
        final Counter userRecordsPut;
        final Counter userRecordsFailed;
        final Counter userRecordsDeadLettered;
        final Counter kinesisRecordsPut;
        final Counter kinesisRecordsFailed;
        final Timer putRecords;
        final DistributionSummary putRecordsEntries;
        final Counter retries;
        final Timer bufferingTime;
        final Counter throttled;

        StreamMeters(Tags tags) {
            userRecordsPut = counter(PRODUCER_USER_RECORDS_PUT, "User records whose futures succeeded", "records",
                    tags);
            userRecordsFailed = counter(PRODUCER_USER_RECORDS_FAILED, "User records whose futures failed",
                    "records", tags);
            userRecordsDeadLettered = counter(PRODUCER_USER_RECORDS_DEAD_LETTERED,
                    "User records handed to the dead-letter handler", "records", tags);
            kinesisRecordsPut = counter(PRODUCER_KINESIS_RECORDS_PUT, "PutRecords entries stored", "records",
                    tags);
            kinesisRecordsFailed = counter(PRODUCER_KINESIS_RECORDS_FAILED,
                    "PutRecords entries that failed (error code, or the whole call)", "records", tags);
            putRecords = registered.add(Timer.builder(PRODUCER_PUT_RECORDS)
                    .description("Duration of PutRecords calls, failed calls included").tags(tags)
                    .register(registry));
            putRecordsEntries = registered.add(DistributionSummary.builder(PRODUCER_PUT_RECORDS_ENTRIES)
                    .description("Entries per PutRecords call").baseUnit("records").tags(tags).register(registry));
            retries = counter(PRODUCER_RETRIES, "Entries scheduled for another attempt", "records", tags);
            bufferingTime = registered.add(Timer.builder(PRODUCER_BUFFERING_TIME)
                    .description("From add of a Kinesis record's oldest user record to its first send").tags(tags)
                    .register(registry));
            // with per-shard tags the shard's own counters are used instead (registered on first use)
            throttled = perShardTags ? null : counter(PRODUCER_THROTTLED,
                    "Times a shard's entries were held back by the client-side rate limit", null, tags);
        }

        private Counter counter(String name, String description, String unit, Tags tags) {
            return registered.add(Counter.builder(name).description(description).baseUnit(unit).tags(tags)
                    .register(registry));
        }
    }

    /** Configures a {@link MicrometerProducerMetrics}. Not thread-safe; each {@link #build()} is independent. */
    public static final class Builder {

        private final MeterRegistry registry;
        private Tags commonTags = Tags.empty();
        private boolean streamTags = true;
        private boolean perShardTags;

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * Tags added to every meter, e.g. {@code Tags.of("application", "orders")}. Default: none.
         *
         * @throws NullPointerException if {@code tags} is null
         */
        public Builder commonTags(Iterable<Tag> tags) {
            this.commonTags = Tags.of(Objects.requireNonNull(tags, "tags"));
            return this;
        }

        /**
         * Whether meters carry the tag {@code stream} (one set of meters per stream). Switch it off for a producer
         * writing to very many streams: all streams then share one set. Default: {@code true}.
         */
        public Builder streamTags(boolean value) {
            this.streamTags = value;
            return this;
        }

        /**
         * Whether the {@code throttled} counter carries the tag {@code shard} (one counter per shard that was ever
         * throttled, kept until {@link MicrometerProducerMetrics#close()}). Default: {@code false}, which keeps the
         * number of meters independent of the number of shards.
         */
        public Builder perShardTags(boolean value) {
            this.perShardTags = value;
            return this;
        }

        /** Registers the gauges and returns the binding; the other meters are registered on their first use. */
        public MicrometerProducerMetrics build() {
            return new MicrometerProducerMetrics(this);
        }
    }
}
