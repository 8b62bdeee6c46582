/**
 * Internal, not API: the dispatcher (a shard consumer per lease, started and ended as leases come and go) and the
 * shard consumers (serialized processor calls on processor threads, failure policy, lifecycle).
 */
package io.purekinesis.consumer.internal.dispatch;
