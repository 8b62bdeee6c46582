/** Internal: Per-stream collection of Kinesis records into PutRecords calls, per-shard ordering and hold-back. Not API. */
package io.purekinesis.producer.internal.batching;
