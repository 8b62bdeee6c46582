/** Internal: Per-shard token buckets for Kinesis records/s and bytes/s. Not API. */
package io.purekinesis.producer.internal.ratelimit;
