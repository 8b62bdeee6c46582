/**
 * Internal, not API: Lease table access (KCL schema), expiry tracking, taking, stealing with handoff, balancing and
 * renewal.
 */
package io.purekinesis.consumer.internal.lease;
