package io.purekinesis.micrometer;

/**
 * The names of the meters and tags the bindings register, in Micrometer's dotted style (a registry renders them in
 * its own convention: {@code purekinesis_producer_user_records_put_total} in Prometheus). The README's "Metrics"
 * section lists each with its type and its KPL or KCL CloudWatch name.
 */
public final class PureKinesisMeters {

    /** Tag: the stream's name. */
    public static final String TAG_STREAM = "stream";
    /** Tag: the shard id; only when per-shard tags are switched on. */
    public static final String TAG_SHARD = "shard";
    /** Tag of {@link #CONSUMER_NON_TRANSIENT_FAILURES}: the IAM action that failed, e.g. {@code kinesis:GetRecords}. */
    public static final String TAG_OPERATION = "operation";
    /** Tag of {@link #CONSUMER_SLOW_PROCESSOR_CALLS}: the processor method, e.g. {@code processRecords}. */
    public static final String TAG_CALL = "call";

    /** Counter: user records whose futures succeeded. KPL: {@code UserRecordsPut}. */
    public static final String PRODUCER_USER_RECORDS_PUT = "purekinesis.producer.user.records.put";
    /** Counter: user records whose futures failed, for any reason. */
    public static final String PRODUCER_USER_RECORDS_FAILED = "purekinesis.producer.user.records.failed";
    /** Counter: user records handed to the dead-letter handler. */
    public static final String PRODUCER_USER_RECORDS_DEAD_LETTERED = "purekinesis.producer.user.records.dead.lettered";
    /** Counter: Kinesis records (PutRecords entries, plain or aggregated) stored. KPL: {@code KinesisRecordsPut}. */
    public static final String PRODUCER_KINESIS_RECORDS_PUT = "purekinesis.producer.kinesis.records.put";
    /** Counter: PutRecords entries that came back with an error code, or whose call failed. KPL: {@code AllErrors}. */
    public static final String PRODUCER_KINESIS_RECORDS_FAILED = "purekinesis.producer.kinesis.records.failed";
    /** Timer: the duration of each PutRecords call, failed calls included. KPL: {@code RequestTime}. */
    public static final String PRODUCER_PUT_RECORDS = "purekinesis.producer.put.records";
    /** Distribution summary: entries per PutRecords call. KPL: {@code KinesisRecordsPerPutRecordsRequest}. */
    public static final String PRODUCER_PUT_RECORDS_ENTRIES = "purekinesis.producer.put.records.entries";
    /** Counter: entries scheduled for another attempt. KPL: {@code RetriesPerRecord} (there a per-record summary). */
    public static final String PRODUCER_RETRIES = "purekinesis.producer.retries";
    /**
     * Timer: from {@code add} of a Kinesis record's oldest user record to its first send. KPL: {@code BufferingTime}.
     */
    public static final String PRODUCER_BUFFERING_TIME = "purekinesis.producer.buffering.time";
    /** Counter: times a shard's entries were held back by the client-side rate limit. */
    public static final String PRODUCER_THROTTLED = "purekinesis.producer.throttled";
    /** Gauge: user records added and not yet completed. KPL: {@code UserRecordsPending}. */
    public static final String PRODUCER_USER_RECORDS_PENDING = "purekinesis.producer.user.records.pending";
    /** Gauge: bytes of those records (data and partition keys), the figure bounded by {@code maxOutstandingBytes}. */
    public static final String PRODUCER_OUTSTANDING_BYTES = "purekinesis.producer.outstanding.bytes";

    /**
     * Counter: records delivered to {@code processRecords} calls that returned normally. KCL: {@code RecordsProcessed}.
     */
    public static final String CONSUMER_RECORDS_PROCESSED = "purekinesis.consumer.records.processed";
    /** Counter: bytes of those records. KCL: {@code DataBytesProcessed}. */
    public static final String CONSUMER_BYTES_PROCESSED = "purekinesis.consumer.bytes.processed";
    /**
     * Gauge: the last {@code MillisBehindLatest} Kinesis reported for a shard this worker holds; without per-shard tags
     * the largest over the shards it holds. KCL: {@code MillisBehindLatest}.
     */
    public static final String CONSUMER_MILLIS_BEHIND_LATEST = "purekinesis.consumer.millis.behind.latest";
    /** Counter: user records of an aggregate dropped because their hash key lies outside the shard's range. */
    public static final String CONSUMER_RECORDS_OUTSIDE_HASH_RANGE = "purekinesis.consumer.records.outside.hash.range";
    /** Counter: records handed to the dead-letter handler after the processor kept failing on them. */
    public static final String CONSUMER_RECORDS_DEAD_LETTERED = "purekinesis.consumer.records.dead.lettered";
    /** Timer: successful checkpoint writes. */
    public static final String CONSUMER_CHECKPOINT_TIME = "purekinesis.consumer.checkpoint.time";
    /** Gauge: leases this worker holds after its last lease cycle. KCL: {@code CurrentLeases}. */
    public static final String CONSUMER_LEASES_HELD = "purekinesis.consumer.leases.held";
    /** Counter: unowned or expired leases taken. KCL: {@code TakenLeases}. */
    public static final String CONSUMER_LEASES_TAKEN = "purekinesis.consumer.leases.taken";
    /** Counter: leases stolen from a more loaded worker (to balance the fleet). */
    public static final String CONSUMER_LEASES_STOLEN = "purekinesis.consumer.leases.stolen";
    /** Counter: leases lost (taken by another worker, or not renewed in time). KCL: {@code LostLeases}. */
    public static final String CONSUMER_LEASES_LOST = "purekinesis.consumer.leases.lost";
    /** Counter: shards read to their end whose processor checkpointed SHARD_END. */
    public static final String CONSUMER_SHARDS_ENDED = "purekinesis.consumer.shards.ended";
    /** Counter: shards stopped because their processor kept failing (policy STOP_SHARD). Alert on it. */
    public static final String CONSUMER_SHARDS_FAILED = "purekinesis.consumer.shards.failed";
    /** Counter: reports of a lease-table row the consumer cannot use. Alert on it. */
    public static final String CONSUMER_UNUSABLE_LEASE_ROWS = "purekinesis.consumer.lease.rows.unusable";
    /** Counter: calls that failed for a reason that does not pass by itself (credentials, IAM, missing table). */
    public static final String CONSUMER_NON_TRANSIENT_FAILURES = "purekinesis.consumer.failures.non.transient";
    /** Counter: reports of a processor call running for a minute or more (then each time its time doubles). */
    public static final String CONSUMER_SLOW_PROCESSOR_CALLS = "purekinesis.consumer.processor.calls.slow";

    private PureKinesisMeters() {
    }
}
