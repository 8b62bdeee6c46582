/**
 * Internal: one pipeline per stream ({@code StreamPipeline}) composed of its router (shard prediction, per-shard
 * aggregators, records waiting for a map), shard-map keeper (loads, refreshes, failures, ARN verification) and
 * wrong-shard re-router, around the stream's collector; and the producer's set of pipelines
 * ({@code StreamRegistry}). Not API.
 */
package io.purekinesis.producer.internal.pipeline;
