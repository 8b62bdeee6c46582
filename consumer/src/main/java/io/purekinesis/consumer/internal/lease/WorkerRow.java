package io.purekinesis.consumer.internal.lease;

/**
 * One worker's heartbeat row in the fleet's worker table ({@link WorkerTable}).
 *
 * @param workerId      the worker
 * @param beatAtMillis  the writer's wall clock (epoch millis) when it sent its last heartbeat
 * @param beats         heartbeats written so far: the token a peer's eviction is conditioned on
 * @param leaseCount    leases the worker holds (not counting finished ones), as of its last heartbeat, or as
 *                      adjusted by a peer that moved leases to or from it since
 * @param assignVersion bumped by whoever assigns leases to the worker (or starts a handoff from it): when it
 *                      changes the worker looks up its leases
 * @param leaving       the worker is shutting down: it gets no more leases
 * @param evictedAt     when a peer declared the worker dead (epoch millis), or null
 */
public record WorkerRow(String workerId, long beatAtMillis, long beats, int leaseCount, long assignVersion,
        boolean leaving, Long evictedAt) {

    public boolean isEvicted() {
        return evictedAt != null;
    }

    /** Not evicted, not leaving, and heard from within {@code failoverMillis} of {@code nowMillis}. */
    public boolean isLiveAt(long nowMillis, long failoverMillis) {
        return !isEvicted() && !leaving && nowMillis - beatAtMillis <= failoverMillis;
    }
}
