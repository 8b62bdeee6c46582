/** Internal, no compatibility promise: the retry schedule both libraries use (the only user of resilience4j). */
package io.purekinesis.internal.retry;
