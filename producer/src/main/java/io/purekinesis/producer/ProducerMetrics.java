package io.purekinesis.producer;

/**
 * Receives the producer's measurements. Every method has a no-op default; implement the ones you need. Calls
 * come from the producer's sender, SDK and callback threads and must be fast and thread-safe; an exception is
 * logged and ignored.
 */
public interface ProducerMetrics {

    /** Ignores everything. */
    ProducerMetrics NOOP = new ProducerMetrics() {
    };

    /** User records whose futures succeeded. */
    default void userRecordsPut(String stream, int count) {
    }

    /** User records whose futures failed, for any reason. */
    default void userRecordsFailed(String stream, int count) {
    }

    /** User records handed to the dead-letter handler. */
    default void userRecordsDeadLettered(String stream, int count) {
    }

    /** Kinesis records (PutRecords entries, plain or aggregated) stored. */
    default void kinesisRecordsPut(String stream, int count) {
    }

    /** One PutRecords call finished: its entries, how many failed, and how long it took (failed calls count too). */
    default void putRecordsCall(String stream, int entries, int failedEntries, long durationMillis) {
    }

    /** Entries scheduled for another attempt. */
    default void retries(String stream, int entries) {
    }

    /** How long a Kinesis record's oldest user record waited from {@code add} until its first send. */
    default void bufferingTime(String stream, long millis) {
    }

    /** A shard's entries were held back by the client-side rate limit. */
    default void throttled(String stream, String shardId) {
    }

    /** Sampled outstanding totals, at most a few times a second. */
    default void outstanding(long records, long bytes) {
    }
}
