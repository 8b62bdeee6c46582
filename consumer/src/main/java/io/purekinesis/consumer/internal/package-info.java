/** Internal, not API: helpers shared by the consumer's internal packages (backoff, client ownership, threads). */
package io.purekinesis.consumer.internal;
