package io.purekinesis.consumer;

/**
 * User code for one shard. The consumer creates one instance per lease it acquires (through
 * {@link RecordProcessorFactory}) and calls it from one thread at a time, never from an SDK thread, in this
 * order: {@link #initialize} once, {@link #processRecords} any number of times, then exactly one of
 * {@link #leaseLost}, {@link #shardEnded} or {@link #shutdownRequested}. An instance never sees the same user
 * record twice and never misses one between its first and last record.
 */
public interface RecordProcessor {

    /** Called once before any records. */
    void initialize(InitializationInput input);

    /**
     * Processes a batch. Throwing makes the consumer retry the same batch with backoff, then apply the
     * configured {@link ConsumerConfig.ProcessorFailurePolicy}.
     */
    void processRecords(ProcessRecordsInput input);

    /**
     * Another worker took the lease (or this worker could not renew it in time). Checkpointing is no longer
     * possible; another processor may already be processing the shard.
     */
    void leaseLost();

    /**
     * Every record of the (closed) shard was delivered. The processor must call {@code checkpointer.checkpoint()},
     * which records {@link ExtendedSequenceNumber#SHARD_END}; until it does, the shard's children are not
     * processed.
     */
    void shardEnded(Checkpointer checkpointer);

    /**
     * The worker is shutting down gracefully (or handing the lease to another worker): no more records will
     * come. Checkpoint here to let the next owner continue without duplicates.
     */
    void shutdownRequested(Checkpointer checkpointer);
}
