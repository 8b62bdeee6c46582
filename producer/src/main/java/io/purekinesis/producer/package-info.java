/**
 * The producer's public API: {@link io.purekinesis.producer.KinesisProducer}, its
 * {@link io.purekinesis.producer.ProducerConfig}, results, the dead-letter hook, metrics and exceptions.
 * Everything under {@code internal} is implementation, one package per pipeline stage:
 * {@code buffer} (memory budget) → {@code shardmap} (shard prediction) → {@code aggregation} (per-shard
 * aggregates) → {@code batching} (PutRecords calls per stream) → {@code ratelimit} (per-shard limits) →
 * {@code send} (the sender thread) → {@code retry} (results, retries, dead letters).
 */
package io.purekinesis.producer;
