package io.purekinesis.consumer.internal.lease;

import java.util.Set;

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
 * @param handoffs      leases a peer started to take from the worker by graceful handoff that the worker has not
 *                      dealt with yet: it may not hold them (not looked up yet), and then only this tells it
 */
public record WorkerRow(String workerId, long beatAtMillis, long beats, int leaseCount, long assignVersion,
        boolean leaving, Long evictedAt, Set<String> handoffs) {

    public WorkerRow {
        handoffs = Set.copyOf(handoffs);
    }

    /** A row with no handoff pending. */
    public WorkerRow(String workerId, long beatAtMillis, long beats, int leaseCount, long assignVersion,
            boolean leaving, Long evictedAt) {
        this(workerId, beatAtMillis, beats, leaseCount, assignVersion, leaving, evictedAt, Set.of());
    }

    public boolean isEvicted() {
        return evictedAt != null;
    }

    /** Not evicted, not leaving, and heard from within {@code failoverMillis} of {@code nowMillis}. */
    public boolean isLiveAt(long nowMillis, long failoverMillis) {
        return !isEvicted() && !leaving && nowMillis - beatAtMillis <= failoverMillis;
    }
}
