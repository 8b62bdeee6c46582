package io.purekinesis.consumer;

/**
 * How a consumer reads its shards.
 *
 * <p>{@link #POLLING} is the default: it costs nothing beyond the stream, changes nothing on the stream, needs only
 * the minimal IAM policy and works over any HTTP client. Choose {@link #FAN_OUT} when two or more applications read
 * one stream (polling applications share each shard's 2 MiB/s and 5 reads/s) or when latency matters.
 */
public enum RetrievalMode {
    /** GetShardIterator, then GetRecords in a loop: each shard's read capacity is shared with other readers. */
    POLLING,
    /**
     * Enhanced fan-out: the worker registers a stream consumer (or uses the one given), then SubscribeToShard per
     * leased shard; Kinesis pushes records over HTTP/2 with a dedicated 2 MiB/s per shard for this application.
     * Charged per consumer-shard-hour and per GB retrieved; needs the fan-out actions of the README's IAM policy.
     */
    FAN_OUT
}
