/**
 * Enhanced fan-out: {@link io.purekinesis.consumer.internal.fanout.StreamConsumerRegistration} registers (or finds)
 * the application's stream consumer once per worker, and a
 * {@link io.purekinesis.consumer.internal.fanout.ShardSubscription} per leased shard is the shard consumer's
 * {@link io.purekinesis.consumer.internal.fetch.RecordSource}: SubscribeToShard events become the same record batches
 * polling makes, requested one at a time as the queue to the processor has room.
 */
package io.purekinesis.consumer.internal.fanout;
