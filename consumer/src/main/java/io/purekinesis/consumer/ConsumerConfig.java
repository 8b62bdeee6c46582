package io.purekinesis.consumer;

import io.purekinesis.internal.kinesis.StreamNames;
import io.purekinesis.internal.time.MonotonicClock;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * failover time 10 s (as KCL); a heartbeat every 1 s; the fleet's worker table polled once per 1 s by the whole fleet
 * (round-robin); the leader's full table read every 5 min; at most 100 leases moved per poll; a graceful handoff
 * waited for at most the failover time; GetRecords of at most 10,000 records, at most 5 calls per second per shard,
 * 1 s idle time after an empty read, 3 batches prefetched per shard; shard sync every 60 s; a failing processor gets
 * 4 attempts per batch with backoff 200 ms doubling to at most 10 s (full jitter), then the shard stops
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
    /** The default of {@link Builder#heartbeatInterval}: 1 s, or failover time / 3 when that is shorter. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
    /** The default of {@link Builder#monitorInterval} (for the whole fleet): 1 s, or failover time / 3 if shorter. */
    public static final Duration DEFAULT_MONITOR_INTERVAL = Duration.ofSeconds(1);
    /** The default of {@link Builder#fullScanInterval}. */
    public static final Duration DEFAULT_FULL_SCAN_INTERVAL = Duration.ofMinutes(5);
    /** The default of {@link Builder#maxLeasesToMoveAtOneTime}. */
    public static final int DEFAULT_MAX_LEASES_TO_MOVE_AT_ONE_TIME = 100;
    /** The worker table is named after the lease table plus this, unless {@link Builder#workerTableName} is set. */
    public static final String WORKER_TABLE_SUFFIX = "-workers";
    /**
     * The default of {@link Builder#streamDiscoveryInterval}: 30 s. Asking the tracker costs nothing remote; each
     * stream new to a worker costs one DescribeStreamSummary per worker (100 workers: 100 calls within the interval,
     * well below its 20 calls/s per account); a removed stream is let go within this time. KCL's 5 minutes would
     * leave a removed stream processed for that long.
     */
    public static final Duration DEFAULT_STREAM_DISCOVERY_INTERVAL = Duration.ofSeconds(30);
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
    private final String streamArn;
    private final List<String> streams;
    private final StreamTracker streamTracker;
    private final Duration streamDiscoveryInterval;
    private final String workerId;
    private final InitialPosition initialPosition;
    private final Duration failoverTime;
    private final Duration heartbeatInterval;
    private final Duration monitorInterval;
    private final Duration fullScanInterval;
    private final int maxLeasesToMoveAtOneTime;
    private final Duration gracefulHandoffTimeout;
    private final String workerTableName;
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
        this.streamName = b.streamName == null ? null : StreamNames.parse(b.streamName).name();
        this.streamArn = b.streamName == null ? null : StreamNames.parse(b.streamName).arn();
        this.streams = b.streams == null ? null : List.copyOf(b.streams);
        this.streamTracker = b.streamTracker != null ? b.streamTracker : this.streams == null ? null : () -> streams;
        this.streamDiscoveryInterval = b.streamDiscoveryInterval;
        this.workerId = b.workerId != null ? b.workerId : defaultWorkerId();
        this.initialPosition = b.initialPosition;
        this.failoverTime = b.failoverTime;
        Duration third = Duration.ofMillis(b.failoverTime.toMillis() / 3);
        this.heartbeatInterval = b.heartbeatInterval != null ? b.heartbeatInterval
                : min(DEFAULT_HEARTBEAT_INTERVAL, third);
        this.monitorInterval = b.monitorInterval != null ? b.monitorInterval : min(DEFAULT_MONITOR_INTERVAL, third);
        this.fullScanInterval = b.fullScanInterval;
        this.maxLeasesToMoveAtOneTime = b.maxLeasesToMoveAtOneTime;
        this.gracefulHandoffTimeout = b.gracefulHandoffTimeout != null ? b.gracefulHandoffTimeout : b.failoverTime;
        this.workerTableName = b.workerTableName != null ? b.workerTableName
                : this.leaseTableName + WORKER_TABLE_SUFFIX;
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

    /**
     * The one stream a single-stream consumer reads (its name, also when it was set as an ARN); null in multi-stream
     * mode ({@link #isMultiStream()}).
     */
    public String streamName() {
        return streamName;
    }

    /** The stream's ARN when {@link Builder#streamName} was set to one. */
    public Optional<String> streamArn() {
        return Optional.ofNullable(streamArn);
    }

    /** True when {@link Builder#streams} or {@link Builder#streamTracker} was set: lease keys name their stream. */
    public boolean isMultiStream() {
        return streamTracker != null;
    }

    /** Multi-stream mode: the tracker set, or one answering the fixed {@link Builder#streams}. */
    public Optional<StreamTracker> streamTracker() {
        return Optional.ofNullable(streamTracker);
    }

    /** Multi-stream mode: how often every worker asks the {@link StreamTracker}. Default 30 s. */
    public Duration streamDiscoveryInterval() {
        return streamDiscoveryInterval;
    }

    /** The stream, or the streams (multi-stream mode), for messages. */
    public String describeStreams() {
        if (streamName != null) {
            return "stream " + streamName;
        }
        return streams != null ? "streams " + streams : "the streams of the stream tracker";
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
     * A worker not heard from (no heartbeat written) for this long is declared dead and its leases move; it stops
     * processing a margin before. Default 10 s; allowed 300 ms to 1 h.
     */
    public Duration failoverTime() {
        return failoverTime;
    }

    /** How often the worker writes its heartbeat row. Default 1 s, or failover time / 3 when shorter. */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /**
     * How often the fleet as a whole reads its worker table (the workers take turns). Default 1 s, or failover time
     * / 3 when shorter.
     */
    public Duration monitorInterval() {
        return monitorInterval;
    }

    /** How often the fleet's leader reads the whole lease table. Default 5 minutes. */
    public Duration fullScanInterval() {
        return fullScanInterval;
    }

    /** At most this many leases move to a worker per poll when balancing. Default 100. */
    public int maxLeasesToMoveAtOneTime() {
        return maxLeasesToMoveAtOneTime;
    }

    /** How long a lease's new owner waits for the previous one to let go. Default: the failover time. */
    public Duration gracefulHandoffTimeout() {
        return gracefulHandoffTimeout;
    }

    /** The fleet's worker table (one heartbeat row per worker): by default the lease table's name + "-workers". */
    public String workerTableName() {
        return workerTableName;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
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
                + (streamName != null ? ", streamName=" + (streamArn != null ? streamArn : streamName)
                        : streams != null ? ", streams=" + streams : ", streamTracker=" + streamTracker)
                + ", workerId=" + workerId + ", initialPosition=" + initialPosition
                + ", failoverTime=" + failoverTime + ", heartbeatInterval=" + heartbeatInterval
                + ", monitorInterval=" + monitorInterval + ", fullScanInterval=" + fullScanInterval
                + ", maxLeasesToMoveAtOneTime=" + maxLeasesToMoveAtOneTime + ", gracefulHandoffTimeout="
                + gracefulHandoffTimeout + ", workerTableName=" + workerTableName + ", maxRecords=" + maxRecords
                + ", idleTimeBetweenReads=" + idleTimeBetweenReads + ", minTimeBetweenReads=" + minTimeBetweenReads
                + ", maxPrefetchBatches="
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
        private List<String> streams;
        private StreamTracker streamTracker;
        private Duration streamDiscoveryInterval = DEFAULT_STREAM_DISCOVERY_INTERVAL;
        private String workerId;
        private InitialPosition initialPosition = DEFAULT_INITIAL_POSITION;
        private Duration failoverTime = DEFAULT_FAILOVER_TIME;
        private Duration heartbeatInterval;
        private Duration monitorInterval;
        private Duration fullScanInterval = DEFAULT_FULL_SCAN_INTERVAL;
        private int maxLeasesToMoveAtOneTime = DEFAULT_MAX_LEASES_TO_MOVE_AT_ONE_TIME;
        private Duration gracefulHandoffTimeout;
        private String workerTableName;
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
            c.streams = streams;
            c.streamTracker = streamTracker;
            c.streamDiscoveryInterval = streamDiscoveryInterval;
            c.workerId = workerId;
            c.initialPosition = initialPosition;
            c.failoverTime = failoverTime;
            c.heartbeatInterval = heartbeatInterval;
            c.monitorInterval = monitorInterval;
            c.fullScanInterval = fullScanInterval;
            c.maxLeasesToMoveAtOneTime = maxLeasesToMoveAtOneTime;
            c.gracefulHandoffTimeout = gracefulHandoffTimeout;
            c.workerTableName = workerTableName;
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

        /**
         * The stream to read, by name or ARN (of the client's account and region); required unless
         * {@link #streams} or {@link #streamTracker} is set (multi-stream mode).
         */
        public Builder streamName(String streamName) {
            this.streamName = streamName;
            return this;
        }

        /**
         * Multi-stream mode with a fixed set of streams, each by name or ARN: one lease table and one fleet for all
         * of them, lease keys as KCL's multi-stream ones ({@code account:stream:creationEpoch:shardId}). Not with
         * {@link #streamName} nor {@link #streamTracker}.
         */
        public Builder streams(Collection<String> streams) {
            this.streams = streams == null ? null : new ArrayList<>(streams);
            return this;
        }

        /** {@link #streams(Collection)}. */
        public Builder streams(String... streams) {
            return streams(streams == null ? null : List.of(streams));
        }

        /**
         * Multi-stream mode with streams added and removed while running: the consumer asks {@code tracker} every
         * {@link #streamDiscoveryInterval}. Not with {@link #streamName} nor {@link #streams}.
         */
        public Builder streamTracker(StreamTracker streamTracker) {
            this.streamTracker = streamTracker;
            return this;
        }

        /** How often every worker asks the {@link StreamTracker}; default 30 s; allowed 100 ms to 1 h. */
        public Builder streamDiscoveryInterval(Duration streamDiscoveryInterval) {
            this.streamDiscoveryInterval = streamDiscoveryInterval;
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
         * A worker whose heartbeat row was not written for this long is declared dead by a peer, and its leases go
         * to the live workers; a worker stops processing its leases itself a margin before that (a fifth of this,
         * at most 1 s) when its heartbeats fail, so no lease is processed by two workers as long as the workers'
         * clocks agree within that margin (NTP). Default 10 s; allowed 300 ms to 1 h.
         */
        public Builder failoverTime(Duration failoverTime) {
            this.failoverTime = failoverTime;
            return this;
        }

        /**
         * How often the worker writes its heartbeat row (one small UpdateItem, whose answer also tells it when
         * leases were assigned to it). Default 1 s, or failover time / 3 when shorter; allowed 10 ms to failover
         * time / 2.
         */
        public Builder heartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
            return this;
        }

        /**
         * How often the fleet as a whole reads its worker table (to find dead workers and balance): the workers
         * take turns, so each reads it every (workers x this). Default 1 s, or failover time / 3 when shorter;
         * allowed 10 ms to the failover time.
         */
        public Builder monitorInterval(Duration monitorInterval) {
            this.monitorInterval = monitorInterval;
            return this;
        }

        /**
         * How often the leader (the live worker with the lowest id) reads the whole lease table (eventually
         * consistent) to assign rows no live worker owns, delete finished leases and report unusable rows. Default
         * 5 minutes; allowed 1 s to 1 day.
         */
        public Builder fullScanInterval(Duration fullScanInterval) {
            this.fullScanInterval = fullScanInterval;
            return this;
        }

        /** At most this many leases move to a worker per poll when balancing. Default 100; allowed 1 to 10,000. */
        public Builder maxLeasesToMoveAtOneTime(int maxLeasesToMoveAtOneTime) {
            this.maxLeasesToMoveAtOneTime = maxLeasesToMoveAtOneTime;
            return this;
        }

        /**
         * How long a worker that was given a lease by a graceful handoff waits for the previous owner to checkpoint
         * and let go before it starts anyway (from the last checkpoint). Default: the failover time; allowed 0 to
         * 1 h.
         */
        public Builder gracefulHandoffTimeout(Duration gracefulHandoffTimeout) {
            this.gracefulHandoffTimeout = gracefulHandoffTimeout;
            return this;
        }

        /**
         * The fleet's worker table (hash key fleet, range key workerId; created if missing). Default: the lease
         * table's name + "-workers".
         */
        public Builder workerTableName(String workerTableName) {
            this.workerTableName = workerTableName;
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

        /**
         * How often the fleet's leader (only it) lists the shards to create leases for new ones (and, after a reshard,
         * reads the lease table to delete finished leases). Default 60 s; allowed 1 s to 1 day.
         */
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
            checkStreams();
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
            if (heartbeatInterval != null) {
                checkRange("heartbeatInterval", heartbeatInterval, Duration.ofMillis(10), failoverTime.dividedBy(2));
            }
            if (monitorInterval != null) {
                checkRange("monitorInterval", monitorInterval, Duration.ofMillis(10), failoverTime);
            }
            checkRange("fullScanInterval", fullScanInterval, Duration.ofSeconds(1), Duration.ofDays(1));
            checkRange("maxLeasesToMoveAtOneTime", maxLeasesToMoveAtOneTime, 1, 10_000);
            if (gracefulHandoffTimeout != null) {
                checkRange("gracefulHandoffTimeout", gracefulHandoffTimeout, Duration.ZERO, Duration.ofHours(1));
            }
            if (workerTableName != null) {
                requireMatch("workerTableName", workerTableName, TABLE_NAME,
                        "a DynamoDB table name of 3-255 characters [a-zA-Z0-9_.-]");
            } else {
                String derived = (leaseTableName != null ? leaseTableName : applicationName) + WORKER_TABLE_SUFFIX;
                requireMatch("workerTableName", derived, TABLE_NAME, "a DynamoDB table name of 3-255 characters "
                        + "[a-zA-Z0-9_.-] (by default the lease table's name + " + WORKER_TABLE_SUFFIX
                        + "; set workerTableName)");
            }
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

        private void checkStreams() {
            int set = (streamName != null ? 1 : 0) + (streams != null ? 1 : 0) + (streamTracker != null ? 1 : 0);
            if (set == 0) {
                throw new IllegalArgumentException("streamName is required (or streams, or streamTracker, for "
                        + "multi-stream mode), was null");
            }
            if (set > 1) {
                throw new IllegalArgumentException("set one of streamName (one stream), streams (a fixed set) or "
                        + "streamTracker (streams added and removed while running), not "
                        + (streamName != null ? "streamName" : "streams") + " and "
                        + (streamTracker != null ? "streamTracker" : "streams"));
            }
            if (streamName != null) {
                requireText("streamName", streamName);
                parseStream("streamName", streamName);
            }
            if (streams != null) {
                checkStreamList("streams", streams);
            }
            checkRange("streamDiscoveryInterval", streamDiscoveryInterval, Duration.ofMillis(100),
                    Duration.ofHours(1));
            if (streamName == null && fanOutConsumerArn != null) {
                throw new IllegalArgumentException("fanOutConsumerArn names a consumer of one stream; in multi-stream"
                        + " mode (streams or streamTracker) the consumer named fanOutConsumerName is found or "
                        + "registered on each stream: set that instead");
            }
        }

        private static StreamNames.StreamRef parseStream(String field, String stream) {
            try {
                return StreamNames.parse(stream);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
            }
        }

        /**
         * Non-empty, every entry a name or ARN, no stream twice (by name: a name and an ARN of the same stream are
         * the same stream).
         *
         * @throws IllegalArgumentException naming {@code field}
         */
        static void checkStreamList(String field, List<String> streams) {
            if (streams.isEmpty()) {
                throw new IllegalArgumentException(field + " must name at least one stream, was empty");
            }
            Map<String, String> byName = new HashMap<>();
            for (String stream : streams) {
                StreamNames.StreamRef ref = parseStream(field, stream);
                String before = byName.put(ref.name(), stream);
                if (before != null) {
                    throw new IllegalArgumentException(field + " names stream " + ref.name() + " twice ('" + before
                            + "' and '" + stream + "')");
                }
            }
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
                if (streamName != null && !m.group(1).equals(StreamNames.parse(streamName).name())) {
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
