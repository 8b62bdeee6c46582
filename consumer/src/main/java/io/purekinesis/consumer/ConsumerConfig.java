package io.purekinesis.consumer;

import io.purekinesis.internal.kinesis.StreamNames;
import io.purekinesis.internal.time.MonotonicClock;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Immutable settings of a {@link KinesisConsumer}. Build with {@link #builder()}; {@link Builder#build()} checks
 * every value and names the field, the value and the allowed range of a bad one.
 *
 * <p>Defaults (constants below): retrieval by polling ({@link RetrievalMode}); initial position {@code LATEST};
 * failover time 10 s (as KCL); lease renewal every failover time / 3; lease scan (take/balance) every renewal
 * interval; steal at most 1 lease per cycle; GetRecords of at most 10,000 records, at most 5 calls per second per
 * shard, 1 s idle time after an empty read, 3 batches prefetched per shard; shard sync every 60 s; a failing processor
 * gets 4 attempts per batch with backoff 200 ms doubling to at most 10 s (full jitter), then the shard stops
 * ({@code STOP_SHARD}).
 *
 * <p>Clients: pass your own {@link KinesisAsyncClient} / {@link DynamoDbAsyncClient} (the consumer never closes
 * them), or a region, optional endpoints and credentials from which the consumer builds clients it closes on
 * shutdown.
 */
public final class ConsumerConfig {

    /** The default of {@link Builder#initialPosition}. */
    public static final InitialPosition DEFAULT_INITIAL_POSITION = InitialPosition.latest();
    /** The default of {@link Builder#failoverTime}. */
    public static final Duration DEFAULT_FAILOVER_TIME = Duration.ofSeconds(10);
    /** The renewal interval defaults to failover time divided by this. */
    public static final int DEFAULT_RENEWALS_PER_FAILOVER_TIME = 3;
    /** The default of {@link Builder#maxLeasesToStealAtOneTime}. */
    public static final int DEFAULT_MAX_LEASES_TO_STEAL_AT_ONE_TIME = 1;
    /** The default of {@link Builder#maxRecords}. */
    public static final int DEFAULT_MAX_RECORDS = 10_000;
    /** Kinesis' limit for one GetRecords call: the largest {@link Builder#maxRecords}. */
    public static final int MAX_MAX_RECORDS = 10_000;
    /** The default of {@link Builder#idleTimeBetweenReads}. */
    public static final Duration DEFAULT_IDLE_TIME_BETWEEN_READS = Duration.ofSeconds(1);
    /** 200 ms: Kinesis allows 5 GetRecords calls per second per shard. */
    public static final Duration DEFAULT_MIN_TIME_BETWEEN_READS = Duration.ofMillis(200);
    /** The default of {@link Builder#maxPrefetchBatches}. */
    public static final int DEFAULT_MAX_PREFETCH_BATCHES = 3;
    /** The default of {@link Builder#shardSyncInterval}. */
    public static final Duration DEFAULT_SHARD_SYNC_INTERVAL = Duration.ofSeconds(60);
    /** 5 minutes, as KCL's completed-lease clean-up interval. */
    public static final Duration DEFAULT_COMPLETED_LEASE_CLEANUP_DELAY = Duration.ofMinutes(5);
    /** The default of {@link Builder#processorFailurePolicy}. */
    public static final ProcessorFailurePolicy DEFAULT_PROCESSOR_FAILURE_POLICY = ProcessorFailurePolicy.STOP_SHARD;
    /** The default of {@link Builder#processorMaxAttempts}. */
    public static final int DEFAULT_PROCESSOR_MAX_ATTEMPTS = 4;
    /** The default base of {@link Builder#processorRetryBackoff}. */
    public static final Duration DEFAULT_PROCESSOR_RETRY_BACKOFF_BASE = Duration.ofMillis(200);
    /** The default cap of {@link Builder#processorRetryBackoff}. */
    public static final Duration DEFAULT_PROCESSOR_RETRY_BACKOFF_MAX = Duration.ofSeconds(10);
    /** Polling: no charge beyond the stream, nothing registered on it, the minimal IAM policy, any HTTP client. */
    public static final RetrievalMode DEFAULT_RETRIEVAL_MODE = RetrievalMode.POLLING;

    private static final Pattern TABLE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{3,255}");
    private static final Pattern CONSUMER_NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final Pattern CONSUMER_ARN = Pattern.compile(
            "arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\\d{12}:stream/([a-zA-Z0-9_.-]+)/consumer/[a-zA-Z0-9_.-]+:\\d+");

    static final Duration MIN_FAILOVER_TIME = Duration.ofMillis(300);
    static final Duration MAX_FAILOVER_TIME = Duration.ofHours(1);
    static final Duration MIN_MIN_TIME_BETWEEN_READS = Duration.ofMillis(200);

    /** What to do when {@link RecordProcessor#processRecords} keeps throwing on a batch. */
    public enum ProcessorFailurePolicy {
        /**
         * (Default) Stop delivering the shard: the worker keeps the lease (so no other worker retries the poison
         * batch), logs an ERROR and reports {@link ConsumerMetrics#shardFailed}. Nothing is skipped; after a
         * restart or graceful shutdown the shard resumes from its last checkpoint.
         */
        STOP_SHARD,
        /** Hand the batch to the {@link DeadLetterHandler} and go on with the next batch. */
        DEAD_LETTER
    }

    private final String applicationName;
    private final String leaseTableName;
    private final String streamName;
    private final String workerId;
    private final InitialPosition initialPosition;
    private final Duration failoverTime;
    private final Duration leaseRenewalInterval;
    private final Duration leaseScanInterval;
    private final int maxLeasesToStealAtOneTime;
    private final int maxRecords;
    private final Duration idleTimeBetweenReads;
    private final Duration minTimeBetweenReads;
    private final int maxPrefetchBatches;
    private final Duration shardSyncInterval;
    private final Duration completedLeaseCleanupDelay;
    private final ProcessorFailurePolicy processorFailurePolicy;
    private final int processorMaxAttempts;
    private final Duration processorRetryBackoffBase;
    private final Duration processorRetryBackoffMax;
    private final DeadLetterHandler deadLetterHandler;
    private final KinesisAsyncClient kinesisClient;
    private final DynamoDbAsyncClient dynamoDbClient;
    private final Region region;
    private final URI kinesisEndpoint;
    private final URI dynamoDbEndpoint;
    private final AwsCredentialsProvider credentialsProvider;
    private final ConsumerMetrics metrics;
    private final Clock clock;
    private final RetrievalMode retrievalMode;
    private final String fanOutConsumerName;
    private final String fanOutConsumerArn;
    private final Builder source;

    private ConsumerConfig(Builder b) {
        this.source = b.copy();
        this.applicationName = b.applicationName;
        this.leaseTableName = b.leaseTableName != null ? b.leaseTableName : b.applicationName;
        this.streamName = b.streamName;
        this.workerId = b.workerId != null ? b.workerId : defaultWorkerId();
        this.initialPosition = b.initialPosition;
        this.failoverTime = b.failoverTime;
        this.leaseRenewalInterval = b.leaseRenewalInterval != null ? b.leaseRenewalInterval
                : Duration.ofMillis(b.failoverTime.toMillis() / DEFAULT_RENEWALS_PER_FAILOVER_TIME);
        this.leaseScanInterval = b.leaseScanInterval != null ? b.leaseScanInterval : this.leaseRenewalInterval;
        this.maxLeasesToStealAtOneTime = b.maxLeasesToStealAtOneTime;
        this.maxRecords = b.maxRecords;
        this.idleTimeBetweenReads = b.idleTimeBetweenReads;
        this.minTimeBetweenReads = b.minTimeBetweenReads;
        this.maxPrefetchBatches = b.maxPrefetchBatches;
        this.shardSyncInterval = b.shardSyncInterval;
        this.completedLeaseCleanupDelay = b.completedLeaseCleanupDelay;
        this.processorFailurePolicy = b.processorFailurePolicy;
        this.processorMaxAttempts = b.processorMaxAttempts;
        this.processorRetryBackoffBase = b.processorRetryBackoffBase;
        this.processorRetryBackoffMax = b.processorRetryBackoffMax;
        this.deadLetterHandler = b.deadLetterHandler;
        this.kinesisClient = b.kinesisClient;
        this.dynamoDbClient = b.dynamoDbClient;
        this.region = b.region;
        this.kinesisEndpoint = b.kinesisEndpoint;
        this.dynamoDbEndpoint = b.dynamoDbEndpoint;
        this.credentialsProvider = b.credentialsProvider;
        this.metrics = b.metrics;
        this.clock = b.clock;
        this.retrievalMode = b.retrievalMode;
        this.fanOutConsumerName = b.fanOutConsumerName != null ? b.fanOutConsumerName : b.applicationName;
        this.fanOutConsumerArn = b.fanOutConsumerArn;
    }

    /** A builder with every setting at its default; {@code applicationName} and {@code streamName} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's settings as they were set (derived defaults stay derived). */
    public Builder toBuilder() {
        return source.copy();
    }

    private static String defaultWorkerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return host + "-" + UUID.randomUUID();
    }

    /** Names the application; also the lease table's name unless {@link #leaseTableName()} was set. */
    public String applicationName() {
        return applicationName;
    }

    /**
     * Default: the application name (as in KCL). Set it when that table belongs to something else (another
     * stream, a KCL multi-stream application, a table of another key schema).
     */
    public String leaseTableName() {
        return leaseTableName;
    }

    /** Required. */
    public String streamName() {
        return streamName;
    }

    /** Default: host name, '-', a random UUID. Must be unique among the application's workers. */
    public String workerId() {
        return workerId;
    }

    /** Where shards without a checkpoint start. Default: {@link InitialPosition#latest()}. */
    public InitialPosition initialPosition() {
        return initialPosition;
    }

    /**
     * A lease whose counter did not change for this long is expired and may be taken by another worker.
     * Default 10 s; allowed 300 ms to 1 h.
     */
    public Duration failoverTime() {
        return failoverTime;
    }

    /** How often held leases are renewed; must be below the failover time. Default: failover time / 3. */
    public Duration leaseRenewalInterval() {
        return leaseRenewalInterval;
    }

    /**
     * How often the lease table is scanned to take expired or unowned leases and balance. Default: the renewal
     * interval. Allowed 10 ms to the failover time.
     */
    public Duration leaseScanInterval() {
        return leaseScanInterval;
    }

    /** At most this many leases are stolen per scan. Default 1; allowed 1 to 100. */
    public int maxLeasesToStealAtOneTime() {
        return maxLeasesToStealAtOneTime;
    }

    /** Limit of one GetRecords call. Default 10,000; allowed 1 to 10,000. */
    public int maxRecords() {
        return maxRecords;
    }

    /** Wait after a read that returned no records. Default 1 s; allowed 0 to 1 min. */
    public Duration idleTimeBetweenReads() {
        return idleTimeBetweenReads;
    }

    /** Minimum time between two GetRecords calls on one shard. Default 200 ms; allowed 200 ms to 1 min. */
    public Duration minTimeBetweenReads() {
        return minTimeBetweenReads;
    }

    /** GetRecords responses buffered per shard ahead of the processor. Default 3; allowed 1 to 100. */
    public int maxPrefetchBatches() {
        return maxPrefetchBatches;
    }

    /** How often ListShards looks for shards without a lease. Default 60 s; allowed 1 s to 1 day. */
    public Duration shardSyncInterval() {
        return shardSyncInterval;
    }

    /**
     * How long the lease of a finished (SHARD_END) shard stays after all its children have leases, before a
     * shard sync deletes it; until then it is kept in case a slow worker still reads its state. Checked on
     * each shard sync, so the deletion happens up to one {@link #shardSyncInterval} later. Default 5 minutes;
     * allowed 0 to 7 days.
     */
    public Duration completedLeaseCleanupDelay() {
        return completedLeaseCleanupDelay;
    }

    /** Default {@link ProcessorFailurePolicy#STOP_SHARD}. DEAD_LETTER needs a {@link #deadLetterHandler}. */
    public ProcessorFailurePolicy processorFailurePolicy() {
        return processorFailurePolicy;
    }

    /** processRecords attempts per batch before the failure policy applies. Default 4; allowed 1 to 100. */
    public int processorMaxAttempts() {
        return processorMaxAttempts;
    }

    /** Base of the backoff between processor attempts (see {@link Builder#processorRetryBackoff}). Default 200 ms. */
    public Duration processorRetryBackoffBase() {
        return processorRetryBackoffBase;
    }

    /** Cap of the backoff between processor attempts (see {@link Builder#processorRetryBackoff}). Default 10 s. */
    public Duration processorRetryBackoffMax() {
        return processorRetryBackoffMax;
    }

    /** Required with {@link ProcessorFailurePolicy#DEAD_LETTER}. Default: none. */
    public Optional<DeadLetterHandler> deadLetterHandler() {
        return Optional.ofNullable(deadLetterHandler);
    }

    /** A client the consumer uses but never closes. Default: one built from region/endpoint/credentials. */
    public Optional<KinesisAsyncClient> kinesisClient() {
        return Optional.ofNullable(kinesisClient);
    }

    /** A client the consumer uses but never closes. Default: one built from region/endpoint/credentials. */
    public Optional<DynamoDbAsyncClient> dynamoDbClient() {
        return Optional.ofNullable(dynamoDbClient);
    }

    /** For the clients the consumer builds. Default: the SDK's region provider chain. */
    public Optional<Region> region() {
        return Optional.ofNullable(region);
    }

    /** For the Kinesis client the consumer builds. Default: the region's endpoint. */
    public Optional<URI> kinesisEndpoint() {
        return Optional.ofNullable(kinesisEndpoint);
    }

    /** For the DynamoDB client the consumer builds. Default: the region's endpoint. */
    public Optional<URI> dynamoDbEndpoint() {
        return Optional.ofNullable(dynamoDbEndpoint);
    }

    /** For the clients the consumer builds. Default: the SDK's default credentials chain. */
    public Optional<AwsCredentialsProvider> credentialsProvider() {
        return Optional.ofNullable(credentialsProvider);
    }

    /** Default {@link ConsumerMetrics#NOOP}. */
    public ConsumerMetrics metrics() {
        return metrics;
    }

    /**
     * The consumer's time source for everything it measures: lease expiry and renewal age, start-up and retry
     * deadlines, the age of finished leases, slow processor calls and latencies; only differences between its
     * readings matter. (Timestamps sent to Kinesis use the system's wall clock.) Default: the wall-clock time at
     * build, then advancing with {@link System#nanoTime()}, so wall-clock steps (NTP, VM resume) neither expire
     * live leases nor keep dead ones.
     */
    public Clock clock() {
        return clock;
    }

    public RetrievalMode retrievalMode() {
        return retrievalMode;
    }

    /** The stream consumer's name in {@link RetrievalMode#FAN_OUT} mode: as set, else the application name. */
    public String fanOutConsumerName() {
        return fanOutConsumerName;
    }

    /** The stream consumer to use as it is, without registering one. */
    public Optional<String> fanOutConsumerArn() {
        return Optional.ofNullable(fanOutConsumerArn);
    }

    @Override
    public String toString() {
        return "ConsumerConfig{applicationName=" + applicationName + ", leaseTableName=" + leaseTableName
                + ", streamName=" + streamName + ", workerId=" + workerId + ", initialPosition=" + initialPosition
                + ", failoverTime=" + failoverTime + ", leaseRenewalInterval=" + leaseRenewalInterval
                + ", leaseScanInterval=" + leaseScanInterval + ", maxLeasesToStealAtOneTime="
                + maxLeasesToStealAtOneTime + ", maxRecords=" + maxRecords + ", idleTimeBetweenReads="
                + idleTimeBetweenReads + ", minTimeBetweenReads=" + minTimeBetweenReads + ", maxPrefetchBatches="
                + maxPrefetchBatches + ", shardSyncInterval=" + shardSyncInterval + ", completedLeaseCleanupDelay="
                + completedLeaseCleanupDelay + ", processorFailurePolicy=" + processorFailurePolicy
                + ", processorMaxAttempts=" + processorMaxAttempts + ", retrievalMode=" + retrievalMode
                + (retrievalMode == RetrievalMode.FAN_OUT ? ", fanOutConsumer="
                        + (fanOutConsumerArn != null ? fanOutConsumerArn : fanOutConsumerName) : "") + "}";
    }

    /** Collects settings; every setter documents its default. Not thread-safe. */
    public static final class Builder {
        private String applicationName;
        private String leaseTableName;
        private String streamName;
        private String workerId;
        private InitialPosition initialPosition = DEFAULT_INITIAL_POSITION;
        private Duration failoverTime = DEFAULT_FAILOVER_TIME;
        private Duration leaseRenewalInterval;
        private Duration leaseScanInterval;
        private int maxLeasesToStealAtOneTime = DEFAULT_MAX_LEASES_TO_STEAL_AT_ONE_TIME;
        private int maxRecords = DEFAULT_MAX_RECORDS;
        private Duration idleTimeBetweenReads = DEFAULT_IDLE_TIME_BETWEEN_READS;
        private Duration minTimeBetweenReads = DEFAULT_MIN_TIME_BETWEEN_READS;
        private int maxPrefetchBatches = DEFAULT_MAX_PREFETCH_BATCHES;
        private Duration shardSyncInterval = DEFAULT_SHARD_SYNC_INTERVAL;
        private Duration completedLeaseCleanupDelay = DEFAULT_COMPLETED_LEASE_CLEANUP_DELAY;
        private ProcessorFailurePolicy processorFailurePolicy = DEFAULT_PROCESSOR_FAILURE_POLICY;
        private int processorMaxAttempts = DEFAULT_PROCESSOR_MAX_ATTEMPTS;
        private Duration processorRetryBackoffBase = DEFAULT_PROCESSOR_RETRY_BACKOFF_BASE;
        private Duration processorRetryBackoffMax = DEFAULT_PROCESSOR_RETRY_BACKOFF_MAX;
        private DeadLetterHandler deadLetterHandler;
        private KinesisAsyncClient kinesisClient;
        private DynamoDbAsyncClient dynamoDbClient;
        private Region region;
        private URI kinesisEndpoint;
        private URI dynamoDbEndpoint;
        private AwsCredentialsProvider credentialsProvider;
        private ConsumerMetrics metrics = ConsumerMetrics.NOOP;
        private Clock clock = new MonotonicClock();
        private RetrievalMode retrievalMode = DEFAULT_RETRIEVAL_MODE;
        private String fanOutConsumerName;
        private String fanOutConsumerArn;

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
            c.applicationName = applicationName;
            c.leaseTableName = leaseTableName;
            c.streamName = streamName;
            c.workerId = workerId;
            c.initialPosition = initialPosition;
            c.failoverTime = failoverTime;
            c.leaseRenewalInterval = leaseRenewalInterval;
            c.leaseScanInterval = leaseScanInterval;
            c.maxLeasesToStealAtOneTime = maxLeasesToStealAtOneTime;
            c.maxRecords = maxRecords;
            c.idleTimeBetweenReads = idleTimeBetweenReads;
            c.minTimeBetweenReads = minTimeBetweenReads;
            c.maxPrefetchBatches = maxPrefetchBatches;
            c.shardSyncInterval = shardSyncInterval;
            c.completedLeaseCleanupDelay = completedLeaseCleanupDelay;
            c.processorFailurePolicy = processorFailurePolicy;
            c.processorMaxAttempts = processorMaxAttempts;
            c.processorRetryBackoffBase = processorRetryBackoffBase;
            c.processorRetryBackoffMax = processorRetryBackoffMax;
            c.deadLetterHandler = deadLetterHandler;
            c.kinesisClient = kinesisClient;
            c.dynamoDbClient = dynamoDbClient;
            c.region = region;
            c.kinesisEndpoint = kinesisEndpoint;
            c.dynamoDbEndpoint = dynamoDbEndpoint;
            c.credentialsProvider = credentialsProvider;
            c.metrics = metrics;
            c.clock = clock;
            c.retrievalMode = retrievalMode;
            c.fanOutConsumerName = fanOutConsumerName;
            c.fanOutConsumerArn = fanOutConsumerArn;
            return c;
        }

        /**
         * Required. Names the application and, by default, the lease table. A lease table serves one stream: its
         * rows name the stream, and {@link KinesisConsumer#start()} refuses a table of another stream.
         */
        public Builder applicationName(String applicationName) {
            this.applicationName = applicationName;
            return this;
        }

        /**
         * Default: the application name (as in KCL). Set it when that table belongs to something else (another
         * stream, a KCL multi-stream application, a table of another key schema).
         */
        public Builder leaseTableName(String leaseTableName) {
            this.leaseTableName = leaseTableName;
            return this;
        }

        /** Required. */
        public Builder streamName(String streamName) {
            this.streamName = streamName;
            return this;
        }

        /** Default: host name, '-', a random UUID. Must be unique among the application's workers. */
        public Builder workerId(String workerId) {
            this.workerId = workerId;
            return this;
        }

        /** Where shards without a checkpoint start. Default: {@link InitialPosition#latest()}. */
        public Builder initialPosition(InitialPosition initialPosition) {
            this.initialPosition = initialPosition;
            return this;
        }

        /**
         * A lease whose counter did not change for this long is expired and may be taken by another worker.
         * Default 10 s; allowed 300 ms to 1 h.
         */
        public Builder failoverTime(Duration failoverTime) {
            this.failoverTime = failoverTime;
            return this;
        }

        /** How often held leases are renewed; must be below the failover time. Default: failover time / 3. */
        public Builder leaseRenewalInterval(Duration leaseRenewalInterval) {
            this.leaseRenewalInterval = leaseRenewalInterval;
            return this;
        }

        /**
         * How often the lease table is scanned to take expired or unowned leases and balance. Default: the renewal
         * interval. Allowed 10 ms to the failover time.
         */
        public Builder leaseScanInterval(Duration leaseScanInterval) {
            this.leaseScanInterval = leaseScanInterval;
            return this;
        }

        /** At most this many leases are stolen per scan. Default 1; allowed 1 to 100. */
        public Builder maxLeasesToStealAtOneTime(int maxLeasesToStealAtOneTime) {
            this.maxLeasesToStealAtOneTime = maxLeasesToStealAtOneTime;
            return this;
        }

        /** Limit of one GetRecords call. Default 10,000; allowed 1 to 10,000. */
        public Builder maxRecords(int maxRecords) {
            this.maxRecords = maxRecords;
            return this;
        }

        /** Wait after a read that returned no records. Default 1 s; allowed 0 to 1 min. */
        public Builder idleTimeBetweenReads(Duration idleTimeBetweenReads) {
            this.idleTimeBetweenReads = idleTimeBetweenReads;
            return this;
        }

        /** Minimum time between two GetRecords calls on one shard. Default 200 ms; allowed 200 ms to 1 min. */
        public Builder minTimeBetweenReads(Duration minTimeBetweenReads) {
            this.minTimeBetweenReads = minTimeBetweenReads;
            return this;
        }

        /** GetRecords responses buffered per shard ahead of the processor. Default 3; allowed 1 to 100. */
        public Builder maxPrefetchBatches(int maxPrefetchBatches) {
            this.maxPrefetchBatches = maxPrefetchBatches;
            return this;
        }

        /** How often ListShards looks for shards without a lease. Default 60 s; allowed 1 s to 1 day. */
        public Builder shardSyncInterval(Duration shardSyncInterval) {
            this.shardSyncInterval = shardSyncInterval;
            return this;
        }

        /**
         * How long the lease of a finished (SHARD_END) shard stays after all its children have leases, before a
         * shard sync deletes it; until then it is kept in case a slow worker still reads its state. Checked on
         * each shard sync, so the deletion happens up to one {@link #shardSyncInterval} later. Default 5 minutes;
         * allowed 0 to 7 days.
         */
        public Builder completedLeaseCleanupDelay(Duration completedLeaseCleanupDelay) {
            this.completedLeaseCleanupDelay = completedLeaseCleanupDelay;
            return this;
        }

        /** Default {@link ProcessorFailurePolicy#STOP_SHARD}. DEAD_LETTER needs a {@link #deadLetterHandler}. */
        public Builder processorFailurePolicy(ProcessorFailurePolicy processorFailurePolicy) {
            this.processorFailurePolicy = processorFailurePolicy;
            return this;
        }

        /** processRecords attempts per batch before the failure policy applies. Default 4; allowed 1 to 100. */
        public Builder processorMaxAttempts(int processorMaxAttempts) {
            this.processorMaxAttempts = processorMaxAttempts;
            return this;
        }

        /**
         * Backoff between processRecords attempts: uniform in [0, min(max, base * 2^(attempt-1))]. Defaults 200 ms
         * and 10 s; base 1 ms to max.
         */
        public Builder processorRetryBackoff(Duration base, Duration max) {
            this.processorRetryBackoffBase = base;
            this.processorRetryBackoffMax = max;
            return this;
        }

        /** Required with {@link ProcessorFailurePolicy#DEAD_LETTER}. Default: none. */
        public Builder deadLetterHandler(DeadLetterHandler deadLetterHandler) {
            this.deadLetterHandler = deadLetterHandler;
            return this;
        }

        /** A client the consumer uses but never closes. Default: one built from region/endpoint/credentials. */
        public Builder kinesisClient(KinesisAsyncClient kinesisClient) {
            this.kinesisClient = kinesisClient;
            return this;
        }

        /** A client the consumer uses but never closes. Default: one built from region/endpoint/credentials. */
        public Builder dynamoDbClient(DynamoDbAsyncClient dynamoDbClient) {
            this.dynamoDbClient = dynamoDbClient;
            return this;
        }

        /** For the clients the consumer builds. Default: the SDK's region provider chain. */
        public Builder region(Region region) {
            this.region = region;
            return this;
        }

        /** For the Kinesis client the consumer builds. Default: the region's endpoint. */
        public Builder kinesisEndpoint(URI kinesisEndpoint) {
            this.kinesisEndpoint = kinesisEndpoint;
            return this;
        }

        /** For the DynamoDB client the consumer builds. Default: the region's endpoint. */
        public Builder dynamoDbEndpoint(URI dynamoDbEndpoint) {
            this.dynamoDbEndpoint = dynamoDbEndpoint;
            return this;
        }

        /** For the clients the consumer builds. Default: the SDK's default credentials chain. */
        public Builder credentialsProvider(AwsCredentialsProvider credentialsProvider) {
            this.credentialsProvider = credentialsProvider;
            return this;
        }

        /** Default {@link ConsumerMetrics#NOOP}. */
        public Builder metrics(ConsumerMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /**
         * The consumer's time source for everything it measures: lease expiry and renewal age, start-up and retry
         * deadlines, the age of finished leases, slow processor calls and latencies; only differences between its
         * readings matter. (Timestamps sent to Kinesis use the system's wall clock.) Default: the wall-clock time at
         * build, then advancing with {@link System#nanoTime()}, so wall-clock steps (NTP, VM resume) neither expire
         * live leases nor keep dead ones.
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * How shards are read. Default {@link RetrievalMode#POLLING}: no charge beyond the stream, nothing registered
         * on it, the minimal IAM policy, any HTTP client. Choose {@link RetrievalMode#FAN_OUT} when two or more
         * applications read the stream or latency matters. In FAN_OUT mode the Kinesis client the consumer builds
         * speaks HTTP/2; a {@link #kinesisClient} you pass must support HTTP/2 (the SDK's Netty client does).
         */
        public Builder retrievalMode(RetrievalMode retrievalMode) {
            this.retrievalMode = retrievalMode;
            return this;
        }

        /**
         * FAN_OUT only: the name of the stream consumer the workers register (if missing) and subscribe with. Default:
         * the application name. 1-128 characters [a-zA-Z0-9_.-]. Applications reading one stream need different
         * names; the workers of one application share theirs.
         */
        public Builder fanOutConsumerName(String fanOutConsumerName) {
            this.fanOutConsumerName = fanOutConsumerName;
            return this;
        }

        /**
         * FAN_OUT only: subscribe with this registered stream consumer (of this stream) and never register one;
         * excludes {@link #fanOutConsumerName}. Default: none (the consumer is looked up or registered by name).
         */
        public Builder fanOutConsumerArn(String fanOutConsumerArn) {
            this.fanOutConsumerArn = fanOutConsumerArn;
            return this;
        }

        /** @throws IllegalArgumentException naming the field, value and allowed range of the first bad setting */
        public ConsumerConfig build() {
            requireText("applicationName", applicationName);
            requireText("streamName", streamName);
            requireMatch("streamName", streamName, StreamNames.NAME, StreamNames.NAME_RULE);
            if (leaseTableName != null) {
                requireText("leaseTableName", leaseTableName);
                requireMatch("leaseTableName", leaseTableName, TABLE_NAME,
                        "a DynamoDB table name of 3-255 characters [a-zA-Z0-9_.-]");
            } else {
                requireMatch("applicationName", applicationName, TABLE_NAME,
                        "a DynamoDB table name of 3-255 characters [a-zA-Z0-9_.-], as it names the lease table"
                                + " (or set leaseTableName)");
            }
            if (workerId != null) {
                requireText("workerId", workerId);
            }
            requireNonNull("initialPosition", initialPosition);
            requireNonNull("processorFailurePolicy", processorFailurePolicy);
            requireNonNull("metrics", metrics);
            requireNonNull("clock", clock);
            checkRange("failoverTime", failoverTime, MIN_FAILOVER_TIME, MAX_FAILOVER_TIME);
            if (leaseRenewalInterval != null) {
                requireNonNull("leaseRenewalInterval", leaseRenewalInterval);
                if (leaseRenewalInterval.compareTo(Duration.ofMillis(10)) < 0
                        || leaseRenewalInterval.compareTo(failoverTime) >= 0) {
                    throw new IllegalArgumentException("leaseRenewalInterval must be at least 10 ms and below "
                            + "failoverTime (" + failoverTime + "), was " + leaseRenewalInterval);
                }
            }
            if (leaseScanInterval != null) {
                requireNonNull("leaseScanInterval", leaseScanInterval);
                if (leaseScanInterval.compareTo(Duration.ofMillis(10)) < 0
                        || leaseScanInterval.compareTo(failoverTime) > 0) {
                    throw new IllegalArgumentException("leaseScanInterval must be between 10 ms and failoverTime ("
                            + failoverTime + "), was " + leaseScanInterval);
                }
            }
            checkRange("maxLeasesToStealAtOneTime", maxLeasesToStealAtOneTime, 1, 100);
            checkRange("maxRecords", maxRecords, 1, MAX_MAX_RECORDS);
            checkRange("idleTimeBetweenReads", idleTimeBetweenReads, Duration.ZERO, Duration.ofMinutes(1));
            checkRange("minTimeBetweenReads", minTimeBetweenReads, MIN_MIN_TIME_BETWEEN_READS, Duration.ofMinutes(1));
            checkRange("maxPrefetchBatches", maxPrefetchBatches, 1, 100);
            checkRange("shardSyncInterval", shardSyncInterval, Duration.ofSeconds(1), Duration.ofDays(1));
            checkRange("completedLeaseCleanupDelay", completedLeaseCleanupDelay, Duration.ZERO, Duration.ofDays(7));
            checkRange("processorMaxAttempts", processorMaxAttempts, 1, 100);
            requireNonNull("processorRetryBackoffMax", processorRetryBackoffMax);
            requireNonNull("processorRetryBackoffBase", processorRetryBackoffBase);
            if (processorRetryBackoffBase.compareTo(Duration.ofMillis(1)) < 0
                    || processorRetryBackoffBase.compareTo(processorRetryBackoffMax) > 0) {
                throw new IllegalArgumentException("processorRetryBackoffBase must be between 1 ms and "
                        + "processorRetryBackoffMax (" + processorRetryBackoffMax + "), was "
                        + processorRetryBackoffBase);
            }
            if (processorFailurePolicy == ProcessorFailurePolicy.DEAD_LETTER && deadLetterHandler == null) {
                throw new IllegalArgumentException("processorFailurePolicy DEAD_LETTER needs a deadLetterHandler,"
                        + " which is not set");
            }
            if (kinesisClient != null && kinesisEndpoint != null) {
                throw new IllegalArgumentException("kinesisEndpoint (" + kinesisEndpoint + ") conflicts with "
                        + "kinesisClient: configure the endpoint on your client, or let the consumer build one");
            }
            if (dynamoDbClient != null && dynamoDbEndpoint != null) {
                throw new IllegalArgumentException("dynamoDbEndpoint (" + dynamoDbEndpoint + ") conflicts with "
                        + "dynamoDbClient: configure the endpoint on your client, or let the consumer build one");
            }
            checkFanOut();
            return new ConsumerConfig(this);
        }

        private void checkFanOut() {
            requireNonNull("retrievalMode", retrievalMode);
            if (retrievalMode != RetrievalMode.FAN_OUT && (fanOutConsumerName != null || fanOutConsumerArn != null)) {
                String field = fanOutConsumerName != null ? "fanOutConsumerName" : "fanOutConsumerArn";
                throw new IllegalArgumentException(field + " is set, but retrievalMode is " + retrievalMode
                        + ": it is used only with retrievalMode FAN_OUT");
            }
            if (fanOutConsumerName != null && fanOutConsumerArn != null) {
                throw new IllegalArgumentException("fanOutConsumerName (" + fanOutConsumerName + ") conflicts with "
                        + "fanOutConsumerArn (" + fanOutConsumerArn + "): set the name to register or look up a "
                        + "consumer, or the ARN to use one as it is");
            }
            if (fanOutConsumerName != null) {
                requireMatch("fanOutConsumerName", fanOutConsumerName, CONSUMER_NAME,
                        "1-128 characters [a-zA-Z0-9_.-]");
            }
            if (retrievalMode == RetrievalMode.FAN_OUT && fanOutConsumerName == null && fanOutConsumerArn == null) {
                requireMatch("applicationName", applicationName, CONSUMER_NAME, "1-128 characters [a-zA-Z0-9_.-], as "
                        + "it names the stream consumer in retrievalMode FAN_OUT (or set fanOutConsumerName)");
            }
            if (fanOutConsumerArn != null) {
                java.util.regex.Matcher m = CONSUMER_ARN.matcher(fanOutConsumerArn);
                if (!m.matches()) {
                    throw new IllegalArgumentException("fanOutConsumerArn must be a stream consumer's ARN, "
                            + "arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM/consumer/NAME:TIMESTAMP, was '"
                            + fanOutConsumerArn + "'");
                }
                if (!m.group(1).equals(streamName)) {
                    throw new IllegalArgumentException("fanOutConsumerArn (" + fanOutConsumerArn + ") is a consumer of "
                            + "stream " + m.group(1) + ", but streamName is " + streamName);
                }
            }
        }

        private static void requireText(String field, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(field + " is required and must not be blank, was "
                        + (value == null ? "null" : "'" + value + "'"));
            }
        }

        private static void requireMatch(String field, String value, Pattern pattern, String what) {
            if (!pattern.matcher(value).matches()) {
                throw new IllegalArgumentException(field + " must be " + what + ", was '" + value + "'");
            }
        }

        private static void requireNonNull(String field, Object value) {
            if (value == null) {
                throw new IllegalArgumentException(field + " must not be null");
            }
        }

        private static void checkRange(String field, Duration value, Duration min, Duration max) {
            requireNonNull(field, value);
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", was "
                        + value);
            }
        }

        private static void checkRange(String field, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", was "
                        + value);
            }
        }
    }
}
