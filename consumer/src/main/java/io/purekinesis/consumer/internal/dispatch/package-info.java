/**
 * Internal, not API: One shard consumer per lease: serialized processor calls on processor threads, failure policy,
 * lifecycle.
 */
package io.purekinesis.consumer.internal.dispatch;
