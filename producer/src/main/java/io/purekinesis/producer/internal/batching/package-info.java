/**
 * Internal: per-stream collection of Kinesis records into PutRecords calls, per-shard ordering and hold-back; each
 * call ({@code PutBatch}) carries where its answer goes. Not API.
 */
package io.purekinesis.producer.internal.batching;
