package io.purekinesis.consumer;

/**
 * Passed to {@link RecordProcessor#initialize}.
 *
 * @param shardId          the shard this processor instance owns
 * @param startingPosition the lease's checkpoint: records up to and including it were processed before (a
 *                         sentinel such as {@link ExtendedSequenceNumber#TRIM_HORIZON} for a new lease)
 * @param streamName       the name of the shard's stream (in multi-stream mode, which of the streams); null only
 *                         when built with the two-argument constructor
 */
public record InitializationInput(String shardId, ExtendedSequenceNumber startingPosition, String streamName) {

    /** Without the stream's name (as before multi-stream mode). */
    public InitializationInput(String shardId, ExtendedSequenceNumber startingPosition) {
        this(shardId, startingPosition, null);
    }
}
