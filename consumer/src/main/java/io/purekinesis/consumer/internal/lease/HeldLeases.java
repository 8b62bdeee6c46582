package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.Failures;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases this worker holds, shared by {@link LeaseTaker} (which adds them) and {@link LeaseRenewer} (which keeps
 * or drops them): each with when its last successful renewal was sent and whether its processing started. Tells the
 * {@link LeaseCoordinator.Listener} when a lease may be processed, is lost, or must be handed off.
 */
final class HeldLeases {

    private static final Logger log = LoggerFactory.getLogger(HeldLeases.class);

    /** One held lease; replaced (not reused) when the lease is taken again. */
    static final class Held {
        volatile Lease lease;
        /** When the last successful renewal (or the take) was sent, in {@code Time#millis()}. */
        volatile long lastRenewedMillis;
        /** Processing started: the listener was told. */
        volatile boolean active;
        volatile boolean renewing;
        final long acquiredMillis;

        Held(Lease lease, long now) {
            this.lease = lease;
            this.lastRenewedMillis = now;
            this.acquiredMillis = now;
        }
    }

    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final LeaseTable table;
    private final String workerId;
    private final ConsumerMetrics metrics;
    private final LeaseCoordinator.Listener listener;

    HeldLeases(LeaseTable table, String workerId, ConsumerMetrics metrics, LeaseCoordinator.Listener listener) {
        this.table = table;
        this.workerId = workerId;
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

    int size() {
        return held.size();
    }

    void put(String key, Held h) {
        held.put(key, h);
    }

    /** Forgets the lease (released, or handed off). */
    void remove(String key) {
        held.remove(key);
    }

    /**
     * Processing may start: tells the listener, unless the lease is at SHARD_END, which is released instead (a
     * consumer would read the shard again from the start: there is no position after SHARD_END; only its children
     * are left to process).
     */
    void activate(Held h) {
        Lease lease = h.lease;
        if (lease.isCompleted()) {
            log.info("Lease {} reached SHARD_END before this worker started it; releasing it", lease.leaseKey());
            held.remove(lease.leaseKey(), h);
            table.release(lease.leaseKey(), workerId).whenComplete((ok, e) -> {
                if (e != null) {
                    log.warn("Releasing completed lease {} failed: {}", lease.leaseKey(), Failures.describe(e));
                }
            });
            return;
        }
        h.active = true;
        listener.leaseAcquired(lease);
    }

    /** The lease is gone: forgotten, counted, and its processing (if it started) told to stop. */
    void lost(String key, Held h) {
        if (held.remove(key, h)) {
            log.warn("Lost lease {}", key);
            metrics.leaseLost(key);
            if (h.active) {
                listener.leaseLost(key);
            }
        }
    }

    /** A peer stole the lease with a handoff: forgotten, and its processing told to finish and hand off. */
    void handingOff(String key, String thief) {
        held.remove(key);
        log.info("Lease {} is being handed off to {}", key, thief);
        listener.handoffRequested(key);
    }
}
