package io.purekinesis.consumer;

/** Creates one {@link RecordProcessor} per acquired shard lease. */
@FunctionalInterface
public interface RecordProcessorFactory {

    /**
     * A new processor for a lease just acquired; called on a consumer thread before its {@code initialize}. Return
     * a new instance each time: instances of different shards run concurrently. An exception stops the shard on
     * this worker (ERROR, {@link ConsumerMetrics#shardFailed}).
     */
    RecordProcessor create();
}
