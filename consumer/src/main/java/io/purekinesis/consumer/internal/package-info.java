/**
 * Internal, not API: what the consumer's internal packages share: the time seam ({@code Time},
 * {@code ConsumerContext}), AWS calls and the classification of their failures, backoff, client ownership, the order
 * of positions.
 */
package io.purekinesis.consumer.internal;
