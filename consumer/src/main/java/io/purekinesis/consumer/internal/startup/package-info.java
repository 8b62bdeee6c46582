/**
 * Internal, not API: the start-up check (the stream, the lease table and its rows, the first shard sync) and its
 * retries of transient failures.
 */
package io.purekinesis.consumer.internal.startup;
