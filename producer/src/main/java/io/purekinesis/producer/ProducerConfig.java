package io.purekinesis.producer;

import io.purekinesis.internal.time.MonotonicClock;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Immutable settings of a {@link KinesisProducer}. Create with {@link #builder()}; derive with
 * {@link #toBuilder()}. Every default is a {@code DEFAULT_*} constant here and is named in its builder method.
 * {@link Builder#build()} rejects a bad value with an {@link IllegalArgumentException} naming the field, the
 * value and the allowed range (or the conflicting field).
 *
 * <p>The Kinesis client is either {@link Builder#kinesisClient supplied} (shared: the producer never closes it)
 * or built by the producer from {@link Builder#region}, {@link Builder#endpointOverride} and
 * {@link Builder#credentialsProvider} (owned: closed by {@link KinesisProducer#close}); not both.
 */
public final class ProducerConfig {

    /** Kinesis' limit for one record: data plus partition key UTF-8 bytes. */
    public static final int MAX_RECORD_SIZE_BYTES = 1024 * 1024;
    /** Kinesis' limit for one PutRecords call's entries. */
    public static final int MAX_PUT_RECORDS_ENTRIES = 500;
    /** Kinesis' limit for one PutRecords call's data plus partition keys. */
    public static final long MAX_PUT_RECORDS_BYTES = 5L * 1024 * 1024;

    /** The default of {@link Builder#recordMaxBufferedTime}. */
    public static final Duration DEFAULT_RECORD_MAX_BUFFERED_TIME = Duration.ofMillis(100);
    /** The default of {@link Builder#aggregationEnabled}. */
    public static final boolean DEFAULT_AGGREGATION_ENABLED = true;
    /** The default of {@link Builder#aggregationMaxSize}. */
    public static final int DEFAULT_AGGREGATION_MAX_SIZE = 51_200;
    /** The default of {@link Builder#aggregationMaxCount}. */
    public static final long DEFAULT_AGGREGATION_MAX_COUNT = 4_294_967_295L;
    /** The default of {@link Builder#collectionMaxCount}. */
    public static final int DEFAULT_COLLECTION_MAX_COUNT = MAX_PUT_RECORDS_ENTRIES;
    /** The default of {@link Builder#collectionMaxSize}. */
    public static final long DEFAULT_COLLECTION_MAX_SIZE = MAX_PUT_RECORDS_BYTES;
    /** The default of {@link Builder#recordTtl}. */
    public static final Duration DEFAULT_RECORD_TTL = Duration.ofSeconds(30);
    /** The default of {@link Builder#rateLimit}. */
    public static final int DEFAULT_RATE_LIMIT = 150;
    /** The default of {@link Builder#maxConcurrentRequests}. */
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 24;
    /** The default of {@link Builder#requestTimeout}. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(6);
    /** The default of {@link Builder#shardMapRefreshInterval}. */
    public static final Duration DEFAULT_SHARD_MAP_REFRESH_INTERVAL = Duration.ofSeconds(60);
    /** The default of {@link Builder#streamIdleTimeout}. */
    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** The default of {@link Builder#maxOutstandingBytes}. */
    public static final long DEFAULT_MAX_OUTSTANDING_BYTES = 256L * 1024 * 1024;
    /** The default of {@link Builder#maxOutstandingRecords}. */
    public static final int DEFAULT_MAX_OUTSTANDING_RECORDS = 1_000_000;
    /** The default of {@link Builder#backpressure}. */
    public static final BackpressureMode DEFAULT_BACKPRESSURE = BackpressureMode.BLOCK;
    /** The default of {@link Builder#addTimeout}. */
    public static final Duration DEFAULT_ADD_TIMEOUT = Duration.ofSeconds(60);
    /** The default of {@link Builder#retryBaseDelay}. */
    public static final Duration DEFAULT_RETRY_BASE_DELAY = Duration.ofMillis(100);
    /** The default of {@link Builder#retryMaxDelay}. */
    public static final Duration DEFAULT_RETRY_MAX_DELAY = Duration.ofSeconds(5);
    /** The default of {@link Builder#strictOrdering}. */
    public static final boolean DEFAULT_STRICT_ORDERING = false;

    private final Duration recordMaxBufferedTime;
    private final boolean aggregationEnabled;
    private final int aggregationMaxSize;
    private final long aggregationMaxCount;
    private final int collectionMaxCount;
    private final long collectionMaxSize;
    private final Duration recordTtl;
    private final int rateLimit;
    private final int maxConcurrentRequests;
    private final Duration requestTimeout;
    private final Duration shardMapRefreshInterval;
    private final Duration streamIdleTimeout;
    private final long maxOutstandingBytes;
    private final int maxOutstandingRecords;
    private final BackpressureMode backpressure;
    private final Duration addTimeout;
    private final Duration retryBaseDelay;
    private final Duration retryMaxDelay;
    private final int maxAttempts;
    private final boolean strictOrdering;
    private final KinesisAsyncClient kinesisClient;
    private final Region region;
    private final URI endpointOverride;
    private final AwsCredentialsProvider credentialsProvider;
    private final DeadLetterHandler deadLetterHandler;
    private final ProducerMetrics metrics;
    private final Clock clock;
    private final Executor callbackExecutor;
    private final RandomGenerator random;
    private final String producerName;

    private ProducerConfig(Builder b) {
        this.recordMaxBufferedTime = b.recordMaxBufferedTime;
        this.aggregationEnabled = b.aggregationEnabled;
        this.aggregationMaxSize = b.aggregationMaxSize;
        this.aggregationMaxCount = b.aggregationMaxCount;
        this.collectionMaxCount = b.collectionMaxCount;
        this.collectionMaxSize = b.collectionMaxSize;
        this.recordTtl = b.recordTtl;
        this.rateLimit = b.rateLimit;
        this.maxConcurrentRequests = b.maxConcurrentRequests;
        this.requestTimeout = b.requestTimeout;
        this.shardMapRefreshInterval = b.shardMapRefreshInterval;
        this.streamIdleTimeout = b.streamIdleTimeout;
        this.maxOutstandingBytes = b.maxOutstandingBytes;
        this.maxOutstandingRecords = b.maxOutstandingRecords;
        this.backpressure = b.backpressure;
        this.addTimeout = b.addTimeout;
        this.retryBaseDelay = b.retryBaseDelay;
        this.retryMaxDelay = b.retryMaxDelay;
        this.maxAttempts = b.maxAttempts;
        this.strictOrdering = b.strictOrdering;
        this.kinesisClient = b.kinesisClient;
        this.region = b.region;
        this.endpointOverride = b.endpointOverride;
        this.credentialsProvider = b.credentialsProvider;
        this.deadLetterHandler = b.deadLetterHandler;
        this.metrics = b.metrics;
        this.clock = b.clock;
        this.callbackExecutor = b.callbackExecutor;
        this.random = b.random;
        this.producerName = b.producerName;
    }

    /** A builder with every setting at its default (the {@code DEFAULT_*} constants). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's settings, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * How long a record may wait for others to share its aggregate and PutRecords call before it is sent:
     * [0 ms, 1 h]. Default 100 ms.
     */
    public Duration recordMaxBufferedTime() {
        return recordMaxBufferedTime;
    }

    /** Whether records for the same shard are packed into KPL aggregated records. Default {@code true}. */
    public boolean aggregationEnabled() {
        return aggregationEnabled;
    }

    /**
     * Largest aggregated record, counting the 4 magic and 16 MD5 bytes: [64, 1,048,576]. A user record that
     * cannot fit alone is sent plain. Default 51,200.
     */
    public int aggregationMaxSize() {
        return aggregationMaxSize;
    }

    /**
     * Most user records in one aggregated record: [1, 4,294,967,295]; values above
     * {@link Integer#MAX_VALUE} act as {@link Integer#MAX_VALUE}. Default 4,294,967,295.
     */
    public long aggregationMaxCount() {
        return aggregationMaxCount;
    }

    /** Most entries in one PutRecords call: [1, 500]. Default 500. */
    public int collectionMaxCount() {
        return collectionMaxCount;
    }

    /**
     * Most bytes (data plus partition keys) in one PutRecords call: [1, 5,242,880]; an entry larger than this
     * is sent alone. Default 5,242,880 (5 MiB).
     */
    public long collectionMaxSize() {
        return collectionMaxSize;
    }

    /**
     * How long after {@code add} a record may still be sent; then its future fails with
     * {@link RecordExpiredException} and it goes to the dead-letter handler: [1 ms, 1 day]. Default 30 s.
     */
    public Duration recordTtl() {
        return recordTtl;
    }

    /**
     * Client-side limit per shard, in percent of Kinesis' 1,000 records/s and 1 MiB/s: [1, 10,000]. Above 100
     * lets Kinesis' own throttling (retried) take over. Default 150.
     */
    public int rateLimit() {
        return rateLimit;
    }

    /** Most PutRecords calls in flight at once: [1, 1,024]. Default 24. */
    public int maxConcurrentRequests() {
        return maxConcurrentRequests;
    }

    /** How long one PutRecords call may take before it is treated as failed and retried: [100 ms, 10 min].
     * Default 6 s. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * How often each stream's shard map is reloaded with ListShards (it is also reloaded when a record lands on
     * an unexpected shard): [100 ms, 1 day]. Default 60 s.
     */
    public Duration shardMapRefreshInterval() {
        return shardMapRefreshInterval;
    }

    /**
     * How long a stream may go without records outstanding (nothing buffered, queued or in flight) before the
     * producer lets go of its state (shard map, aggregators, queues, rate limiters) and stops refreshing its
     * shard map; a later record to it starts afresh with one shard-map load: [100 ms, 1 day]. Default 5 min.
     */
    public Duration streamIdleTimeout() {
        return streamIdleTimeout;
    }

    /**
     * Budget for records accepted but not yet completed, in data plus partition key bytes: at least 1,048,576
     * (one maximum record). Default 268,435,456 (256 MiB).
     */
    public long maxOutstandingBytes() {
        return maxOutstandingBytes;
    }

    /** Budget for records accepted but not yet completed: [1, 2^31-1]. Default 1,000,000. */
    public int maxOutstandingRecords() {
        return maxOutstandingRecords;
    }

    /** What {@code add} does when a budget is exhausted. Default {@link BackpressureMode#BLOCK}. */
    public BackpressureMode backpressure() {
        return backpressure;
    }

    /** In {@link BackpressureMode#BLOCK}, the longest {@code add} waits for room: [0, 1 day]. Default 60 s. */
    public Duration addTimeout() {
        return addTimeout;
    }

    /**
     * Retry backoff: attempt n waits a uniformly random time below min(max, base * 2^(n-1)) (capped first,
     * then full jitter): [1 ms, 1 h]. Default 100 ms.
     */
    public Duration retryBaseDelay() {
        return retryBaseDelay;
    }

    /** Cap of the retry backoff, at least {@code retryBaseDelay}: [1 ms, 1 h]. Default 5 s. */
    public Duration retryMaxDelay() {
        return retryMaxDelay;
    }

    /** Empty when attempts are limited by {@link #recordTtl()} only. */
    public OptionalInt maxAttempts() {
        return maxAttempts == 0 ? OptionalInt.empty() : OptionalInt.of(maxAttempts);
    }

    /**
     * When true, a shard with a failed entry sends nothing else until that entry succeeds or is dead-lettered,
     * and each PutRecords call carries at most one entry per shard, so records of one partition key are stored
     * in {@code add} order even across retries. Costs throughput. Default {@code false}.
     */
    public boolean strictOrdering() {
        return strictOrdering;
    }

    /** A client the producer uses but never closes. Excludes region, endpointOverride and credentialsProvider. */
    public Optional<KinesisAsyncClient> kinesisClient() {
        return Optional.ofNullable(kinesisClient);
    }

    /** Region of the client the producer builds (and closes). Default: the SDK's region provider chain. */
    public Optional<Region> region() {
        return Optional.ofNullable(region);
    }

    /** Endpoint of the client the producer builds. Default: the region's Kinesis endpoint. */
    public Optional<URI> endpointOverride() {
        return Optional.ofNullable(endpointOverride);
    }

    /** Credentials of the client the producer builds. Default: the SDK's default credentials chain. */
    public Optional<AwsCredentialsProvider> credentialsProvider() {
        return Optional.ofNullable(credentialsProvider);
    }

    /** Receives every undelivered record. Default {@link DeadLetterHandler#logging()}. */
    public DeadLetterHandler deadLetterHandler() {
        return deadLetterHandler;
    }

    /** Receives measurements. Default {@link ProducerMetrics#NOOP}. */
    public ProducerMetrics metrics() {
        return metrics;
    }

    /**
     * Source of time for buffering, TTL, backoff, shard-map refreshes, idle streams and attempt timestamps.
     * Default: the system clock made monotonic when the builder is created (it advances with
     * {@link System#nanoTime()}), so a step of the wall clock (NTP, a resumed VM) neither expires buffered
     * records at once nor keeps them past their TTL; attempt timestamps drift from the wall clock only by the
     * steps and corrections applied to it since.
     */
    public Clock clock() {
        return clock;
    }

    /** Empty: the producer runs callbacks on its own named thread. */
    public Optional<Executor> callbackExecutor() {
        return Optional.ofNullable(callbackExecutor);
    }

    /** Empty: jitter draws from {@link java.util.concurrent.ThreadLocalRandom}. */
    public Optional<RandomGenerator> random() {
        return Optional.ofNullable(random);
    }

    /** Empty: thread names use a per-JVM counter. */
    public Optional<String> producerName() {
        return Optional.ofNullable(producerName);
    }

    @Override
    public String toString() {
        return "ProducerConfig[recordMaxBufferedTime=" + recordMaxBufferedTime + ", aggregationEnabled="
                + aggregationEnabled + ", aggregationMaxSize=" + aggregationMaxSize + ", aggregationMaxCount="
                + aggregationMaxCount + ", collectionMaxCount=" + collectionMaxCount + ", collectionMaxSize="
                + collectionMaxSize + ", recordTtl=" + recordTtl + ", rateLimit=" + rateLimit
                + ", maxConcurrentRequests=" + maxConcurrentRequests + ", requestTimeout=" + requestTimeout
                + ", shardMapRefreshInterval=" + shardMapRefreshInterval + ", streamIdleTimeout=" + streamIdleTimeout
                + ", maxOutstandingBytes="
                + maxOutstandingBytes + ", maxOutstandingRecords=" + maxOutstandingRecords + ", backpressure="
                + backpressure + ", addTimeout=" + addTimeout + ", retryBaseDelay=" + retryBaseDelay
                + ", retryMaxDelay=" + retryMaxDelay + ", maxAttempts=" + maxAttempts + ", strictOrdering="
                + strictOrdering + ", kinesisClient=" + (kinesisClient != null ? "supplied" : "built")
                + ", region=" + region + ", endpointOverride=" + endpointOverride + "]";
    }

    /** Collects settings; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder {

        private Duration recordMaxBufferedTime = DEFAULT_RECORD_MAX_BUFFERED_TIME;
        private boolean aggregationEnabled = DEFAULT_AGGREGATION_ENABLED;
        private int aggregationMaxSize = DEFAULT_AGGREGATION_MAX_SIZE;
        private long aggregationMaxCount = DEFAULT_AGGREGATION_MAX_COUNT;
        private int collectionMaxCount = DEFAULT_COLLECTION_MAX_COUNT;
        private long collectionMaxSize = DEFAULT_COLLECTION_MAX_SIZE;
        private Duration recordTtl = DEFAULT_RECORD_TTL;
        private int rateLimit = DEFAULT_RATE_LIMIT;
        private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration shardMapRefreshInterval = DEFAULT_SHARD_MAP_REFRESH_INTERVAL;
        private Duration streamIdleTimeout = DEFAULT_STREAM_IDLE_TIMEOUT;
        private long maxOutstandingBytes = DEFAULT_MAX_OUTSTANDING_BYTES;
        private int maxOutstandingRecords = DEFAULT_MAX_OUTSTANDING_RECORDS;
        private BackpressureMode backpressure = DEFAULT_BACKPRESSURE;
        private Duration addTimeout = DEFAULT_ADD_TIMEOUT;
        private Duration retryBaseDelay = DEFAULT_RETRY_BASE_DELAY;
        private Duration retryMaxDelay = DEFAULT_RETRY_MAX_DELAY;
        private int maxAttempts;
        private boolean strictOrdering = DEFAULT_STRICT_ORDERING;
        private KinesisAsyncClient kinesisClient;
        private Region region;
        private URI endpointOverride;
        private AwsCredentialsProvider credentialsProvider;
        private DeadLetterHandler deadLetterHandler = DeadLetterHandler.logging();
        private ProducerMetrics metrics = ProducerMetrics.NOOP;
        private Clock clock = new MonotonicClock();
        private Executor callbackExecutor;
        private RandomGenerator random;
        private String producerName;

        private Builder() {
        }

        private Builder(ProducerConfig c) {
            recordMaxBufferedTime = c.recordMaxBufferedTime;
            aggregationEnabled = c.aggregationEnabled;
            aggregationMaxSize = c.aggregationMaxSize;
            aggregationMaxCount = c.aggregationMaxCount;
            collectionMaxCount = c.collectionMaxCount;
            collectionMaxSize = c.collectionMaxSize;
            recordTtl = c.recordTtl;
            rateLimit = c.rateLimit;
            maxConcurrentRequests = c.maxConcurrentRequests;
            requestTimeout = c.requestTimeout;
            shardMapRefreshInterval = c.shardMapRefreshInterval;
            streamIdleTimeout = c.streamIdleTimeout;
            maxOutstandingBytes = c.maxOutstandingBytes;
            maxOutstandingRecords = c.maxOutstandingRecords;
            backpressure = c.backpressure;
            addTimeout = c.addTimeout;
            retryBaseDelay = c.retryBaseDelay;
            retryMaxDelay = c.retryMaxDelay;
            maxAttempts = c.maxAttempts;
            strictOrdering = c.strictOrdering;
            kinesisClient = c.kinesisClient;
            region = c.region;
            endpointOverride = c.endpointOverride;
            credentialsProvider = c.credentialsProvider;
            deadLetterHandler = c.deadLetterHandler;
            metrics = c.metrics;
            clock = c.clock;
            callbackExecutor = c.callbackExecutor;
            random = c.random;
            producerName = c.producerName;
        }

        /**
         * How long a record may wait for others to share its aggregate and PutRecords call before it is sent:
         * [0 ms, 1 h]. Default 100 ms.
         */
        public Builder recordMaxBufferedTime(Duration value) {
            recordMaxBufferedTime = Objects.requireNonNull(value, "recordMaxBufferedTime");
            return this;
        }

        /** Whether records for the same shard are packed into KPL aggregated records. Default {@code true}. */
        public Builder aggregationEnabled(boolean value) {
            aggregationEnabled = value;
            return this;
        }

        /**
         * Largest aggregated record, counting the 4 magic and 16 MD5 bytes: [64, 1,048,576]. A user record that
         * cannot fit alone is sent plain. Default 51,200.
         */
        public Builder aggregationMaxSize(int value) {
            aggregationMaxSize = value;
            return this;
        }

        /**
         * Most user records in one aggregated record: [1, 4,294,967,295]; values above
         * {@link Integer#MAX_VALUE} act as {@link Integer#MAX_VALUE}. Default 4,294,967,295.
         */
        public Builder aggregationMaxCount(long value) {
            aggregationMaxCount = value;
            return this;
        }

        /** Most entries in one PutRecords call: [1, 500]. Default 500. */
        public Builder collectionMaxCount(int value) {
            collectionMaxCount = value;
            return this;
        }

        /**
         * Most bytes (data plus partition keys) in one PutRecords call: [1, 5,242,880]; an entry larger than this
         * is sent alone. Default 5,242,880 (5 MiB).
         */
        public Builder collectionMaxSize(long value) {
            collectionMaxSize = value;
            return this;
        }

        /**
         * How long after {@code add} a record may still be sent; then its future fails with
         * {@link RecordExpiredException} and it goes to the dead-letter handler: [1 ms, 1 day]. Default 30 s.
         */
        public Builder recordTtl(Duration value) {
            recordTtl = Objects.requireNonNull(value, "recordTtl");
            return this;
        }

        /**
         * Client-side limit per shard, in percent of Kinesis' 1,000 records/s and 1 MiB/s: [1, 10,000]. Above 100
         * lets Kinesis' own throttling (retried) take over. Default 150.
         */
        public Builder rateLimit(int percent) {
            rateLimit = percent;
            return this;
        }

        /** Most PutRecords calls in flight at once: [1, 1,024]. Default 24. */
        public Builder maxConcurrentRequests(int value) {
            maxConcurrentRequests = value;
            return this;
        }

        /** How long one PutRecords call may take before it is treated as failed and retried: [100 ms, 10 min].
         * Default 6 s. */
        public Builder requestTimeout(Duration value) {
            requestTimeout = Objects.requireNonNull(value, "requestTimeout");
            return this;
        }

        /**
         * How often each stream's shard map is reloaded with ListShards (it is also reloaded when a record lands on
         * an unexpected shard): [100 ms, 1 day]. Default 60 s.
         */
        public Builder shardMapRefreshInterval(Duration value) {
            shardMapRefreshInterval = Objects.requireNonNull(value, "shardMapRefreshInterval");
            return this;
        }

        /**
         * How long a stream may go without records outstanding (nothing buffered, queued or in flight) before the
         * producer lets go of its state (shard map, aggregators, queues, rate limiters) and stops refreshing its
         * shard map; a later record to it starts afresh with one shard-map load: [100 ms, 1 day]. Default 5 min.
         */
        public Builder streamIdleTimeout(Duration value) {
            streamIdleTimeout = Objects.requireNonNull(value, "streamIdleTimeout");
            return this;
        }

        /**
         * Budget for records accepted but not yet completed, in data plus partition key bytes: at least 1,048,576
         * (one maximum record). Default 268,435,456 (256 MiB).
         */
        public Builder maxOutstandingBytes(long value) {
            maxOutstandingBytes = value;
            return this;
        }

        /** Budget for records accepted but not yet completed: [1, 2^31-1]. Default 1,000,000. */
        public Builder maxOutstandingRecords(int value) {
            maxOutstandingRecords = value;
            return this;
        }

        /** What {@code add} does when a budget is exhausted. Default {@link BackpressureMode#BLOCK}. */
        public Builder backpressure(BackpressureMode value) {
            backpressure = Objects.requireNonNull(value, "backpressure");
            return this;
        }

        /** In {@link BackpressureMode#BLOCK}, the longest {@code add} waits for room: [0, 1 day]. Default 60 s. */
        public Builder addTimeout(Duration value) {
            addTimeout = Objects.requireNonNull(value, "addTimeout");
            return this;
        }

        /**
         * Retry backoff: attempt n waits a uniformly random time below min(max, base * 2^(n-1)) (capped first,
         * then full jitter): [1 ms, 1 h]. Default 100 ms.
         */
        public Builder retryBaseDelay(Duration value) {
            retryBaseDelay = Objects.requireNonNull(value, "retryBaseDelay");
            return this;
        }

        /** Cap of the retry backoff, at least {@code retryBaseDelay}: [1 ms, 1 h]. Default 5 s. */
        public Builder retryMaxDelay(Duration value) {
            retryMaxDelay = Objects.requireNonNull(value, "retryMaxDelay");
            return this;
        }

        /**
         * Most attempts per record before it is dead-lettered, [1, 2^31-1]; 0 means limited by
         * {@code recordTtl} only. Default 0.
         */
        public Builder maxAttempts(int value) {
            maxAttempts = value;
            return this;
        }

        /**
         * When true, a shard with a failed entry sends nothing else until that entry succeeds or is dead-lettered,
         * and each PutRecords call carries at most one entry per shard, so records of one partition key are stored
         * in {@code add} order even across retries. Costs throughput. Default {@code false}.
         */
        public Builder strictOrdering(boolean value) {
            strictOrdering = value;
            return this;
        }

        /** A client the producer uses but never closes. Excludes region, endpointOverride and credentialsProvider. */
        public Builder kinesisClient(KinesisAsyncClient value) {
            kinesisClient = value;
            return this;
        }

        /** Region of the client the producer builds (and closes). Default: the SDK's region provider chain. */
        public Builder region(Region value) {
            region = value;
            return this;
        }

        /** Endpoint of the client the producer builds. Default: the region's Kinesis endpoint. */
        public Builder endpointOverride(URI value) {
            endpointOverride = value;
            return this;
        }

        /** Credentials of the client the producer builds. Default: the SDK's default credentials chain. */
        public Builder credentialsProvider(AwsCredentialsProvider value) {
            credentialsProvider = value;
            return this;
        }

        /** Receives every undelivered record. Default {@link DeadLetterHandler#logging()}. */
        public Builder deadLetterHandler(DeadLetterHandler value) {
            deadLetterHandler = Objects.requireNonNull(value, "deadLetterHandler");
            return this;
        }

        /** Receives measurements. Default {@link ProducerMetrics#NOOP}. */
        public Builder metrics(ProducerMetrics value) {
            metrics = Objects.requireNonNull(value, "metrics");
            return this;
        }

        /**
         * Source of time for buffering, TTL, backoff, shard-map refreshes, idle streams and attempt timestamps.
         * Default: the system clock made monotonic when the builder is created (it advances with
         * {@link System#nanoTime()}), so a step of the wall clock (NTP, a resumed VM) neither expires buffered
         * records at once nor keeps them past their TTL; attempt timestamps drift from the wall clock only by the
         * steps and corrections applied to it since.
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Where futures are completed and the dead-letter handler runs; the producer never shuts it down.
         * Default: a named daemon thread owned by the producer.
         */
        public Builder callbackExecutor(Executor value) {
            callbackExecutor = value;
            return this;
        }

        /** Random source of the backoff jitter; used under a lock. Default: {@code ThreadLocalRandom}. */
        public Builder random(RandomGenerator value) {
            random = value;
            return this;
        }

        /** Names the producer's threads ({@code purekinesis-producer-<name>-sender}). Default: a counter. */
        public Builder producerName(String value) {
            producerName = value;
            return this;
        }

        /** @throws IllegalArgumentException naming the field, the value and the allowed range */
        public ProducerConfig build() {
            checkDuration("recordMaxBufferedTime", recordMaxBufferedTime, Duration.ZERO, Duration.ofHours(1));
            checkRange("aggregationMaxSize", aggregationMaxSize, 64, MAX_RECORD_SIZE_BYTES);
            checkRange("aggregationMaxCount", aggregationMaxCount, 1, DEFAULT_AGGREGATION_MAX_COUNT);
            checkRange("collectionMaxCount", collectionMaxCount, 1, MAX_PUT_RECORDS_ENTRIES);
            checkRange("collectionMaxSize", collectionMaxSize, 1, MAX_PUT_RECORDS_BYTES);
            checkDuration("recordTtl", recordTtl, Duration.ofMillis(1), Duration.ofDays(1));
            checkRange("rateLimit", rateLimit, 1, 10_000);
            checkRange("maxConcurrentRequests", maxConcurrentRequests, 1, 1024);
            checkDuration("requestTimeout", requestTimeout, Duration.ofMillis(100), Duration.ofMinutes(10));
            checkDuration("shardMapRefreshInterval", shardMapRefreshInterval, Duration.ofMillis(100),
                    Duration.ofDays(1));
            checkDuration("streamIdleTimeout", streamIdleTimeout, Duration.ofMillis(100), Duration.ofDays(1));
            checkRange("maxOutstandingBytes", maxOutstandingBytes, MAX_RECORD_SIZE_BYTES, Long.MAX_VALUE);
            checkRange("maxOutstandingRecords", maxOutstandingRecords, 1, Integer.MAX_VALUE);
            checkDuration("addTimeout", addTimeout, Duration.ZERO, Duration.ofDays(1));
            checkDuration("retryBaseDelay", retryBaseDelay, Duration.ofMillis(1), Duration.ofHours(1));
            checkDuration("retryMaxDelay", retryMaxDelay, Duration.ofMillis(1), Duration.ofHours(1));
            if (retryMaxDelay.compareTo(retryBaseDelay) < 0) {
                throw new IllegalArgumentException("retryMaxDelay must be at least retryBaseDelay (" + retryBaseDelay
                        + "), was " + retryMaxDelay);
            }
            checkRange("maxAttempts", maxAttempts, 0, Integer.MAX_VALUE);
            if (kinesisClient != null) {
                String conflict = region != null ? "region" : endpointOverride != null ? "endpointOverride"
                        : credentialsProvider != null ? "credentialsProvider" : null;
                if (conflict != null) {
                    throw new IllegalArgumentException("kinesisClient excludes " + conflict
                            + ": configure the supplied client instead, or let the producer build one");
                }
            }
            if (producerName != null && producerName.isBlank()) {
                throw new IllegalArgumentException("producerName must not be blank, was '" + producerName + "'");
            }
            return new ProducerConfig(this);
        }

        private static void checkRange(String field, long value, long min, long max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "], was " + value);
            }
        }

        private static void checkDuration(String field, Duration value, Duration min, Duration max) {
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "], was " + value);
            }
        }
    }
}
