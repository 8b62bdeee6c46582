/**
 * Internal, not API: Lease table access (KCL schema) and creation, and the coordinator: renewal, expiry tracking,
 * taking, stealing with handoff, balancing.
 */
package io.purekinesis.consumer.internal.lease;
