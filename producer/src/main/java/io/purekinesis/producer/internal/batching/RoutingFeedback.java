package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.internal.KinesisEntry;

/**
 * What the answer to a PutRecords call tells the stream it was sent for, beyond each record's outcome: where
 * Kinesis stored an entry elsewhere than predicted, and when the stream itself failed. Every {@link PutBatch}
 * carries its stream's receiver, so the result handler needs nothing else to reach it.
 */
public interface RoutingFeedback {

    /** A plain entry landed on another shard: it is stored correctly, but the shard map is stale. */
    void shardMapStale(String stream);

    /**
     * An aggregated entry landed on {@code actualShardId}: records of it whose hash keys lie outside that shard's
     * range must be resent once the map is reloaded; the others succeeded.
     */
    void aggregateOnWrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber);

    /**
     * A whole call failed because the stream is gone ({@code STREAM_NOT_FOUND}) or the caller is refused
     * ({@code NOT_AUTHORIZED}): the stream's later records should fail at once instead of each costing a call.
     */
    default void streamFailed(String stream, FailureReason reason, String errorCode, String message,
            Throwable cause) {
    }
}
