package io.purekinesis.consumer;

import java.time.Duration;

/**
 * Receives the consumer's measurements. Every method has a no-op default; implement what you need. Calls come
 * from the consumer's lease, fetch and processor threads and from the AWS SDK's response threads (methods say which
 * where it matters), concurrently, and must be thread-safe and return quickly; exceptions (Errors too) are logged
 * (WARN once per method, then DEBUG) and ignored. Counts are deltas, not totals. {@code purekinesis-micrometer}'s
 * {@code MicrometerConsumerMetrics} implements it on a Micrometer registry.
 */
public interface ConsumerMetrics {

    /** Does nothing. */
    ConsumerMetrics NOOP = new ConsumerMetrics() {
    };

    /**
     * A processRecords call returned normally: its user records and their bytes; on the processor's thread, after
     * the call.
     */
    default void recordsProcessed(String shardId, int records, long bytes) {
    }

    /** The {@code MillisBehindLatest} (milliseconds) of each GetRecords response (0 if absent); on a fetch thread. */
    default void millisBehindLatest(String shardId, long millis) {
    }

    /** User records of an aggregate whose hash key lies outside the shard's range were dropped. */
    default void recordsOutsideHashRange(String shardId, int records) {
    }

    /** Leases this worker holds right after a lease cycle (every lease scan interval); on a lease thread. */
    default void leasesHeld(int leases) {
    }

    /** An unowned or expired lease was taken; on a lease thread. */
    default void leaseTaken(String shardId) {
    }

    /** A lease was stolen from a more loaded worker (a handoff follows); on a lease thread. */
    default void leaseStolen(String shardId, String fromWorker) {
    }

    /**
     * A lease was lost (taken by another worker, or not renewed in time); on a lease thread or the SDK thread that
     * answered a renewal. Not called for a lease this worker hands off to a stealing peer or releases at shutdown.
     */
    default void leaseLost(String shardId) {
    }

    /** A checkpoint write succeeded after {@code latency}; on the thread that checkpointed (a processor's). */
    default void checkpointLatency(String shardId, Duration latency) {
    }

    /** Records were handed to the dead-letter handler after the processor kept failing on them. */
    default void recordsDeadLettered(String shardId, int records) {
    }

    /**
     * A shard was read to its end and its processor checkpointed SHARD_END in {@code shardEnded}: from now on its
     * children may be processed (by any worker).
     */
    default void shardEnded(String shardId) {
    }

    /** A shard stopped because its processor kept failing (policy STOP_SHARD). */
    default void shardFailed(String shardId, Throwable cause) {
    }

    /**
     * A lease-table row cannot be used (unreadable, or another stream's), reported while running each time its
     * problem appears or changes. The row is left alone: its shard is not processed until it is repaired (see the
     * README's "Lease rows the consumer cannot use"). Alert on this.
     */
    default void unusableLeaseRow(String leaseKey, String problem) {
    }

    /**
     * A call failed for a reason that does not pass by itself: refused credentials or a missing permission, a
     * missing stream or lease table, a validation error. The consumer keeps retrying (and logs at ERROR); someone
     * has to act. Alert on this.
     *
     * @param operation the IAM action, e.g. {@code kinesis:GetRecords}
     * @param resource  what it was about, e.g. {@code stream orders}
     */
    default void nonTransientFailure(String operation, String resource, Throwable cause) {
    }

    /**
     * A processor call ({@code processRecords}, {@code shutdownRequested}, ...) has been running for {@code
     * runningFor}: reported after a minute, then each time the time doubles. Its shard delivers nothing meanwhile
     * and keeps its lease.
     */
    default void slowProcessorCall(String shardId, String call, Duration runningFor) {
    }
}
