package io.purekinesis.producer;

/**
 * Receives the producer's measurements. Every method has a no-op default; implement the ones you need. Calls
 * come from the producer's sender, SDK and callback threads (each method says which) and must be fast and
 * thread-safe; an exception (an Error too) is logged (WARN once per method, then DEBUG) and ignored. Counts are
 * deltas since the previous call, not totals. {@code purekinesis-micrometer}'s {@code MicrometerProducerMetrics}
 * implements it on a Micrometer registry.
 */
public interface ProducerMetrics {

    /** Ignores everything. */
    ProducerMetrics NOOP = new ProducerMetrics() {
    };

    /** User records whose futures succeeded; on the callback executor, after the futures completed. */
    default void userRecordsPut(String stream, int count) {
    }

    /** User records whose futures failed, for any reason; on the callback executor, after the futures failed. */
    default void userRecordsFailed(String stream, int count) {
    }

    /** User records handed to the dead-letter handler; on the callback executor. */
    default void userRecordsDeadLettered(String stream, int count) {
    }

    /**
     * Kinesis records (PutRecords entries, plain or aggregated) stored by one PutRecords call; on the SDK thread
     * that completed the call.
     */
    default void kinesisRecordsPut(String stream, int count) {
    }

    /**
     * One PutRecords call finished: its entries, how many failed (all of them when the whole call failed), and how
     * long it took in milliseconds (failed calls count too); on the SDK thread that completed the call.
     */
    default void putRecordsCall(String stream, int entries, int failedEntries, long durationMillis) {
    }

    /** Entries of one call scheduled for another attempt; on the SDK thread that completed the call. */
    default void retries(String stream, int entries) {
    }

    /**
     * How long, in milliseconds, a Kinesis record's oldest user record waited from {@code add} until its first
     * send; on the sender thread, once per Kinesis record sent.
     */
    default void bufferingTime(String stream, long millis) {
    }

    /** A shard's entries were held back by the client-side rate limit; on the sender thread, once per pass. */
    default void throttled(String stream, String shardId) {
    }

    /**
     * Outstanding totals: user records accepted and not completed, and their bytes (data plus partition keys); on
     * the sender thread, sampled at most once a second while it runs.
     */
    default void outstanding(long records, long bytes) {
    }
}
