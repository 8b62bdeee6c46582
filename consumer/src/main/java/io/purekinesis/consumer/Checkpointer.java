package io.purekinesis.consumer;

/**
 * Records in the lease table how far a shard was processed. A checkpoint at (sequence number, sub-sequence
 * number) means every user record up to and including that one is done; the next owner resumes right after it.
 * Calls block until DynamoDB confirmed the write, retrying failed writes with backoff. Use it only from the
 * processor callback it was handed to (or that callback's {@code ProcessRecordsInput}), on that callback's thread.
 */
public interface Checkpointer {

    /**
     * Checkpoints the last user record delivered to this processor; in {@link RecordProcessor#shardEnded} it
     * records {@link ExtendedSequenceNumber#SHARD_END}. Does nothing when no record was delivered yet.
     *
     * @throws LeaseLostException     when this worker no longer holds the lease
     * @throws CheckpointFailedException when DynamoDB kept failing
     */
    void checkpoint();

    /**
     * Checkpoints at the given delivered record: its sequence and sub-sequence number. Throws what
     * {@link #checkpoint(String, long)} throws.
     *
     * @throws InvalidCheckpointException if {@code record} is null
     */
    void checkpoint(KinesisUserRecord record);

    /**
     * Checkpoints at (sequenceNumber, subSequenceNumber).
     *
     * @throws InvalidCheckpointException when the position is malformed, before the last checkpoint, or after the
     *                                    last record delivered to this processor
     * @throws LeaseLostException         when this worker no longer holds the lease
     * @throws CheckpointFailedException  when DynamoDB kept failing
     */
    void checkpoint(String sequenceNumber, long subSequenceNumber);

    /** The last checkpoint written (or read when the lease was acquired); makes no call. */
    ExtendedSequenceNumber lastCheckpoint();
}
