package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases held: renews each once per cycle (a conditional counter bump), drops one whose last successful
 * renewal was sent more than the failover time ago, starts a taken or stolen lease once its previous owner finished
 * the handoff (or forces the handoff after the failover time), and finds a lease stolen from this worker with a
 * handoff. Lease time is this worker's {@link Time}, counted from when a renewal was sent.
 */
final class LeaseRenewer {

    private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);

    private final LeaseTable table;
    private final HeldLeases held;
    private final String workerId;
    private final Duration failoverTime;
    private final Duration renewalInterval;
    private final Time time;
    private final FailureReporter renewFailures;
    private final FailureReporter cycleFailures;

    LeaseRenewer(LeaseTable table, HeldLeases held, String workerId, Duration failoverTime, Duration renewalInterval,
            Time time, FailureReporter renewFailures, FailureReporter cycleFailures) {
        this.table = table;
        this.held = held;
        this.workerId = workerId;
        this.failoverTime = failoverTime;
        this.renewalInterval = renewalInterval;
        this.time = time;
        this.renewFailures = renewFailures;
        this.cycleFailures = cycleFailures;
    }

    /** One renewal cycle; a failure is reported and the next cycle tries again. */
    void cycle() {
        try {
            renewAll();
            cycleFailures.recovered();
        } catch (RuntimeException e) {
            cycleFailures.report("Lease renew cycle of worker " + workerId, "retrying next cycle", e);
        }
    }

    /**
     * Renews every held lease once. A lease whose last successful renewal was sent more than the failover time ago
     * is dropped first, whatever its renewal is doing: peers may take it from then on. Waits for the answers at most
     * one renewal interval, so a renewal that never answers cannot stop that check; a lease whose renewal is still
     * in flight is not renewed again meanwhile.
     */
    void renewAll() {
        long now = time.millis();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Map.Entry<String, Held> e : held.entries()) {
            Held h = e.getValue();
            if (now - h.lastRenewedMillis > failoverTime.toMillis()) {
                log.warn("Lease {} was not renewed for {}; considering it lost", e.getKey(), failoverTime);
                held.lost(e.getKey(), h);
                continue;
            }
            if (h.renewing) {
                continue;
            }
            h.renewing = true;
            all.add(renew(e.getKey(), h, now).whenComplete((v, x) -> h.renewing = false));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(renewalInterval.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("Lease renewals of worker {} did not answer within {}; checking them again next cycle",
                    workerId, renewalInterval);
        } catch (ExecutionException e) {
            cycleFailures.report("Lease renewal cycle of worker " + workerId, "retrying next cycle", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @param sent when the renewal was sent: a peer cannot have seen its new counter before then */
    private CompletableFuture<Void> renew(String key, Held h, long sent) {
        Lease before = h.lease;
        return table.renew(before).handle((result, e) -> {
            long now = time.millis();
            if (held.get(key) != h) {
                return CompletableFuture.<Void>completedFuture(null); // released or replaced meanwhile
            }
            if (e != null) {
                if (now - h.lastRenewedMillis > failoverTime.toMillis()) {
                    log.warn("Could not renew lease {} for {}; considering it lost: {}", key, failoverTime,
                            Failures.describe(e));
                    held.lost(key, h);
                } else {
                    renewFailures.report("Renewing lease " + key, "retrying until " + failoverTime
                            + " after its last renewal, then it counts as lost", e);
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            renewFailures.recovered();
            if (result.isPresent()) {
                Lease renewed = result.get();
                h.lease = renewed;
                h.lastRenewedMillis = sent;
                if (!h.active) {
                    if (!renewed.isHandoffPending()) {
                        held.activate(h);
                    } else if (now - h.acquiredMillis > failoverTime.toMillis()) {
                        return forceHandoff(key, h, now);
                    }
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            return table.get(key).<Void>handle((current, ge) -> {
                if (held.get(key) != h) {
                    return null;
                }
                if (ge == null && current.isPresent() && workerId.equals(current.get().checkpointOwner())
                        && !current.get().isOwnedBy(workerId)) {
                    held.handingOff(key, current.get().leaseOwner());
                } else {
                    held.lost(key, h);
                }
                return null;
            });
        }).thenCompose(x -> x);
    }

    private CompletableFuture<Void> forceHandoff(String key, Held h, long sent) {
        log.warn("Previous owner {} of lease {} did not finish its handoff within {}; taking over",
                h.lease.checkpointOwner(), key, failoverTime);
        return table.forceHandoff(h.lease).thenAccept(r -> {
            if (held.get(key) != h) {
                return;
            }
            if (r.isPresent()) {
                h.lease = r.get();
                h.lastRenewedMillis = sent;
                held.activate(h);
            } else {
                held.lost(key, h);
            }
        });
    }
}
