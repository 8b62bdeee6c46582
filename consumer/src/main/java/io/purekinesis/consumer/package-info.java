/**
 * A pure-Java Kinesis consumer, a drop-in successor of the Kinesis Client Library (KCL): {@link
 * io.purekinesis.consumer.KinesisConsumer} leases shards through a DynamoDB table with KCL's schema (a KCL 2.x/3.x
 * application can switch by using the same application name), reads and de-aggregates records, and calls one
 * {@link io.purekinesis.consumer.RecordProcessor} per leased shard. Configure it with
 * {@link io.purekinesis.consumer.ConsumerConfig}. Everything under {@code internal} is not API.
 */
package io.purekinesis.consumer;
