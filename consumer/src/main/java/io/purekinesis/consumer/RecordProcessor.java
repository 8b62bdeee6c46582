package io.purekinesis.consumer;

/**
 * User code for one shard. The consumer creates one instance per lease it acquires (through
 * {@link RecordProcessorFactory}) and calls it from one thread at a time, never from an SDK thread, in this
 * order: {@link #initialize} once, {@link #processRecords} any number of times, then exactly one of
 * {@link #leaseLost}, {@link #shardEnded} or {@link #shutdownRequested}. An instance never sees the same user
 * record twice and never misses one between its first and last record.
 *
 * <p><b>Threads.</b> Every call runs on one of the consumer's processor threads
 * ({@code purekinesis-consumer-<workerId>-processor-N}), one call of an instance at a time, each call seeing what
 * the previous one wrote. Calls of different instances (shards) run concurrently. A call that blocks holds only its
 * own shard (which keeps its lease meanwhile); one running over a minute is reported (WARN,
 * {@link ConsumerMetrics#slowProcessorCall}).
 */
public interface RecordProcessor {

    /**
     * Called once before any records, with the shard and where processing starts. Throwing makes the consumer
     * retry it with backoff, up to {@link ConsumerConfig#processorMaxAttempts()} times; then the shard stops on
     * this worker (ERROR, {@link ConsumerMetrics#shardFailed}).
     */
    void initialize(InitializationInput input);

    /**
     * Processes a batch of user records (already de-aggregated, in shard order), at most
     * {@link ConsumerConfig#maxRecords()} Kinesis records' worth. Checkpoint through {@code input.checkpointer()}
     * when the work is durable. Throwing makes the consumer retry the same batch with backoff, then apply the
     * configured {@link ConsumerConfig.ProcessorFailurePolicy}.
     */
    void processRecords(ProcessRecordsInput input);

    /**
     * Another worker took the lease (or this worker could not renew it in time). Checkpointing is no longer
     * possible ({@link LeaseLostException}); another processor may already be processing the shard. An exception
     * thrown here is logged (WARN) and ignored.
     */
    void leaseLost();

    /**
     * Every record of the (closed) shard was delivered. The processor must call {@code checkpointer.checkpoint()},
     * which records {@link ExtendedSequenceNumber#SHARD_END}; until it does, the shard's children are not
     * processed. An exception thrown here is logged (WARN); without the checkpoint the shard is reported failed
     * ({@link ConsumerMetrics#shardFailed}).
     */
    void shardEnded(Checkpointer checkpointer);

    /**
     * The worker is shutting down gracefully (or handing the lease to another worker): no more records will
     * come. Checkpoint here to let the next owner continue without duplicates. An exception thrown here is logged
     * (WARN) and ignored; the shutdown or handoff goes on all the same.
     */
    void shutdownRequested(Checkpointer checkpointer);
}
