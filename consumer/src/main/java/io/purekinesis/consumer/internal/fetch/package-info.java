/**
 * Internal, not API: Per-shard GetRecords loops with prefetch, rate limits and backoff; de-aggregation and hash-range
 * filtering.
 */
package io.purekinesis.consumer.internal.fetch;
