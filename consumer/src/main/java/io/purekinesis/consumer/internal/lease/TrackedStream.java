package io.purekinesis.consumer.internal.lease;

/**
 * A stream the consumer reads, resolved (DescribeStreamSummary).
 *
 * @param name     its name, as used in Kinesis requests
 * @param identity its ARN and creation time
 * @param key      in multi-stream mode its {@code account:stream:creationEpoch}, the prefix of its lease keys; null
 *                 in single-stream mode, where lease keys are shard ids
 */
public record TrackedStream(String name, StreamIdentity identity, StreamKey key) {

    /** The lease key of its shard {@code shardId}. */
    public String leaseKey(String shardId) {
        return key == null ? shardId : key.leaseKey(shardId);
    }

    /** True for the leases of this stream (every lease in single-stream mode). */
    public boolean owns(String leaseKey) {
        return key == null || key.equals(StreamKey.ofLeaseKey(leaseKey));
    }

    @Override
    public String toString() {
        return key == null ? "stream " + name : "stream " + name + " (" + key + ")";
    }
}
