package io.purekinesis.consumer;

/**
 * Passed to {@link RecordProcessor#initialize}.
 *
 * @param shardId          the shard this processor instance owns
 * @param startingPosition the lease's checkpoint: records up to and including it were processed before (a
 *                         sentinel such as {@link ExtendedSequenceNumber#TRIM_HORIZON} for a new lease)
 */
public record InitializationInput(String shardId, ExtendedSequenceNumber startingPosition) {
}
