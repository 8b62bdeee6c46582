package io.purekinesis.consumer;

/** Creates one {@link RecordProcessor} per acquired shard lease. */
@FunctionalInterface
public interface RecordProcessorFactory {

    RecordProcessor create();
}
