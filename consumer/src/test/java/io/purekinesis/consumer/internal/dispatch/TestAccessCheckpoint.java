package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.consumer.ExtendedSequenceNumber;

/** Reads a shard consumer's checkpoint in tests. */
final class TestAccessCheckpoint {

    private TestAccessCheckpoint() {
    }

    static ExtendedSequenceNumber lastCheckpoint(ShardConsumer consumer) {
        return consumer.checkpointer().lastCheckpoint();
    }
}
