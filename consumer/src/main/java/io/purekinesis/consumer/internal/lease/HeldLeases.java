package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases this worker holds (the rows that name it as owner, as far as it knows), each in one {@link State}.
 * Tells the {@link LeaseCoordinator.Listener} when a lease may be processed, is lost, or must be handed off.
 */
final class HeldLeases {

    private static final Logger log = LoggerFactory.getLogger(HeldLeases.class);

    enum State {
        /** Ours, but its previous owner may still checkpoint (graceful handoff): wait for it, or its timeout. */
        WAITING_HANDOFF,
        /** Ours, but a parent shard is not processed to its end yet. */
        WAITING_PARENTS,
        /** Being processed: the listener was told. */
        ACTIVE,
        /** At SHARD_END: nothing to process; kept (and not counted) until shard sync deletes it. */
        COMPLETED
    }

    /** One held lease; replaced (not reused) when the lease is acquired again. */
    static final class Held {
        volatile Lease lease;
        volatile State state;
        /** When the current state began, in {@code Time#millis()}. */
        volatile long sinceMillis;

        Held(Lease lease, State state, long now) {
            this.lease = lease;
            this.state = state;
            this.sinceMillis = now;
        }
    }

    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final ConsumerMetrics metrics;
    private final LeaseCoordinator.Listener listener;

    HeldLeases(ConsumerMetrics metrics, LeaseCoordinator.Listener listener) {
        this.metrics = metrics;
        this.listener = listener;
    }

    Set<String> keys() {
        return Set.copyOf(held.keySet());
    }

    Set<Map.Entry<String, Held>> entries() {
        return held.entrySet();
    }

    Held get(String key) {
        return held.get(key);
    }

    boolean contains(String key) {
        return held.containsKey(key);
    }

    /** The leases that are work: every held lease but the finished ones (what balancing counts). */
    int workload() {
        return (int) held.values().stream().filter(h -> h.state != State.COMPLETED).count();
    }

    void put(String key, Held h) {
        held.put(key, h);
    }

    /** Forgets the lease (handed over to another worker). */
    void remove(String key) {
        held.remove(key);
    }

    /** Processing may start: tells the listener, unless the lease is at SHARD_END (then it is only kept). */
    void activate(Held h, long now) {
        h.sinceMillis = now;
        if (h.lease.isCompleted()) {
            h.state = State.COMPLETED;
            return;
        }
        h.state = State.ACTIVE;
        try {
            listener.leaseAcquired(h.lease);
        } catch (RuntimeException e) {
            // not started: tried again by the next wait tick, as a lease waiting for its parents is
            h.state = State.WAITING_PARENTS;
            throw e;
        }
    }

    /** The lease is gone: forgotten, counted, and its processing (if it started) told to stop. */
    void lost(String key, Held h) {
        if (held.remove(key, h)) {
            if (h.state == State.COMPLETED) {
                return; // a finished lease deleted by shard sync, or moved: nothing was running
            }
            log.warn("Lost lease {}", key);
            metrics.leaseLost(key);
            if (h.state == State.ACTIVE) {
                listener.leaseLost(key);
            }
        }
    }

    /** Every lease is lost at once (this worker fenced itself, or was declared dead). */
    void loseAll() {
        for (Map.Entry<String, Held> e : held.entrySet()) {
            lost(e.getKey(), e.getValue());
        }
    }

    /** A peer takes the lease with a graceful handoff: forgotten; its processing told to finish and hand off. */
    void handingOff(String key, Held h, String next) {
        if (held.remove(key, h)) {
            log.info("Lease {} is being handed off to {}", key, next);
            listener.handoffRequested(key);
        }
    }
}
