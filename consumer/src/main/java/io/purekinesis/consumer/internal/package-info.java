/**
 * Internal, not API: what the consumer's internal packages share: the time seam ({@code Time},
 * {@code ConsumerContext}), AWS calls and what their failures mean to the consumer, the guarded metrics, the order of
 * positions. Backoff, client ownership, the error classification itself and the clock are in the internal module
 * {@code purekinesis-common} ({@code io.purekinesis.internal}), shared with the producer.
 */
package io.purekinesis.consumer.internal;
