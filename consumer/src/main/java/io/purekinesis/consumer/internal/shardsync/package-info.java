/** Internal, not API: ListShards and lease creation for new shards, including child shards after a reshard. */
package io.purekinesis.consumer.internal.shardsync;
