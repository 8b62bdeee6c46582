package io.purekinesis.consumer;

import java.util.List;

/**
 * Receives a batch the record processor kept failing on, under
 * {@link ConsumerConfig.ProcessorFailurePolicy#DEAD_LETTER}. After it returns, the consumer goes on with the
 * next batch, and the dead-lettered records count as delivered (a later checkpoint may pass them). If it throws,
 * the shard stops as under {@link ConsumerConfig.ProcessorFailurePolicy#STOP_SHARD}.
 */
@FunctionalInterface
public interface DeadLetterHandler {

    /**
     * Takes the batch the processor kept failing on ({@code lastFailure} is its last exception), on the shard's
     * processor thread; the shard waits until it returns.
     */
    void handle(String shardId, List<KinesisUserRecord> records, Throwable lastFailure);
}
