/** Internal: PutRecords results: completion, per-entry and whole-call retries with backoff, dead letters. Not API. */
package io.purekinesis.producer.internal.retry;
