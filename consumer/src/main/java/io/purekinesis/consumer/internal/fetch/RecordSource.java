package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.time.Duration;

/**
 * Where a shard consumer takes its batches from: a {@link ShardFetcher} (polling) or a fan-out subscription. Either
 * reads ahead into a bounded queue from the lease's checkpoint and hands out {@link RecordBatch}es built the same way
 * ({@link ReadResult}), the last one marked as the shard's end with its children; everything after (processor calls,
 * checkpoints, resharding, the failure policy) is the shard consumer's, whichever source it reads.
 */
public interface RecordSource {

    /** Starts reading in the background; once. */
    void start();

    /** Stops reading (cancels a subscription); batches already queued stay available to {@link #poll}. Any thread. */
    void stop();

    /** The next batch, waiting up to {@code timeout}; null if none arrived. The shard consumer's thread. */
    RecordBatch poll(Duration timeout) throws InterruptedException;

    /** Makes the sources of a worker's shards. */
    @FunctionalInterface
    interface Factory {
        /**
         * A source for one lease of a shard.
         *
         * @param streamName the stream of the shard (multi-stream mode: the lease's stream)
         * @param range      user records of aggregates outside it are dropped; null for no filter
         * @param checkpoint the lease's checkpoint: a position to resume after, or a start sentinel
         */
        RecordSource create(String streamName, String shardId, HashKeyRange range, ExtendedSequenceNumber checkpoint);
    }
}
