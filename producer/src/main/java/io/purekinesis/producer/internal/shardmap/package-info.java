/**
 * Internal: Shard maps per stream: loading (ListShards paging by common's {@code ShardLister}), open shards only,
 * binary-search lookup, load slots, remembered failures. Not API.
 */
package io.purekinesis.producer.internal.shardmap;
