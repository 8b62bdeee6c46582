/** Internal: Shard maps per stream: ListShards paging, open shards only, binary-search lookup. Not API. */
package io.purekinesis.producer.internal.shardmap;
