package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds this worker's leases: renews them every renewal interval, and every scan interval reads the whole table
 * (consistent scan), tracks when each lease's counter last changed (a lease not changed for the failover time is
 * expired, judged by this worker's clock as in KCL) and takes or steals leases as {@link LeaseBalancer} plans.
 * Tells its {@link Listener} when a lease may be processed, is lost, or must be handed off. Runs on the given
 * scheduler (renewal and scan are separate tasks, so a slow scan does not delay renewals).
 */
public final class LeaseCoordinator {

    private static final Logger log = LoggerFactory.getLogger(LeaseCoordinator.class);

    /** Called from the coordinator's threads; implementations must return quickly. */
    public interface Listener {
        /** The lease is held and no handoff is pending: start processing it. */
        void leaseAcquired(Lease lease);

        /** The lease is gone: stop at once. */
        void leaseLost(String leaseKey);

        /** Another worker stole the lease with a handoff: finish gracefully, checkpoint, then finish the handoff. */
        void handoffRequested(String leaseKey);
    }

    private static final class Held {
        volatile Lease lease;
        volatile long lastRenewedMillis;
        volatile boolean active;
        volatile boolean renewing;
        final long acquiredMillis;

        Held(Lease lease, long now) {
            this.lease = lease;
            this.lastRenewedMillis = now;
            this.acquiredMillis = now;
        }
    }

    /** A lease's counter, since when this worker sees it, and whether it saw it change (owner proven alive). */
    private record Observed(long counter, long sinceMillis, boolean changedSinceFirstSeen) {
    }

    private final LeaseTable table;
    private final String workerId;
    private final Duration failoverTime;
    private final Duration renewalInterval;
    private final Duration scanInterval;
    private final int maxSteal;
    private final ConsumerMetrics metrics;
    private final Time time;
    private final Random random;
    private final ScheduledExecutorService scheduler;
    private final Listener listener;
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final Map<String, Observed> observed = new HashMap<>(); // scan thread only
    private final UnusableRows unusableRows;
    private final FailureReporter scanFailures;
    private final FailureReporter renewFailures;
    private final FailureReporter renewCycleFailures;
    private volatile ScheduledFuture<?> renewTask;
    private volatile ScheduledFuture<?> scanTask;

    /** Takes its settings, metrics, time, random source and scheduler (the lease threads) from {@code context}. */
    public LeaseCoordinator(LeaseTable table, ConsumerContext context, Listener listener) {
        ConsumerConfig config = context.config();
        this.table = table;
        this.workerId = context.workerId();
        this.failoverTime = config.failoverTime();
        this.renewalInterval = config.leaseRenewalInterval();
        this.scanInterval = config.leaseScanInterval();
        this.maxSteal = config.maxLeasesToStealAtOneTime();
        this.metrics = context.metrics();
        this.time = context.time();
        this.random = context.random();
        this.scheduler = context.leaseScheduler();
        this.listener = listener;
        this.unusableRows = new UnusableRows(table.tableName(), metrics);
        this.scanFailures = new FailureReporter(log, metrics, time);
        this.renewFailures = new FailureReporter(log, metrics, time);
        this.renewCycleFailures = new FailureReporter(log, metrics, time);
    }

    /** Starts renewing and scanning; the first scan runs at once. */
    public synchronized void start() {
        renewTask = scheduler.scheduleWithFixedDelay(guard("renew", renewCycleFailures, this::renewAll),
                renewalInterval.toMillis(), renewalInterval.toMillis(), TimeUnit.MILLISECONDS);
        scanTask = scheduler.scheduleWithFixedDelay(guard("scan", scanFailures, this::scanAndTake), 0,
                scanInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops taking leases (graceful shutdown begins); renewals go on. */
    public synchronized void stopTaking() {
        if (scanTask != null) {
            scanTask.cancel(false);
        }
    }

    /** Stops renewing too. */
    public synchronized void stopRenewing() {
        stopTaking();
        if (renewTask != null) {
            renewTask.cancel(false);
        }
    }

    public Set<String> heldLeaseKeys() {
        return Set.copyOf(held.keySet());
    }

    /** Stops renewing one lease and releases it in the table (no-op if another worker owns it by now). */
    public CompletableFuture<Boolean> release(String leaseKey) {
        held.remove(leaseKey);
        // If a peer stole it meanwhile, we are its checkpoint owner: end that handoff instead.
        return table.release(leaseKey, workerId)
                .thenCompose(ok -> ok ? CompletableFuture.completedFuture(true)
                        : table.finishHandoff(leaseKey, workerId))
                .whenComplete((ok, e) -> {
            if (e != null) {
                log.warn("Releasing lease {} failed; it expires after {}: {}", leaseKey, failoverTime,
                        Failures.describe(e));
            } else if (ok) {
                log.info("Released lease {}", leaseKey);
            }
        });
    }

    private Runnable guard(String what, FailureReporter failures, Runnable task) {
        return () -> {
            try {
                task.run();
                failures.recovered();
            } catch (RuntimeException e) {
                failures.report("Lease " + what + " cycle of worker " + workerId, "retrying next cycle", e);
            }
        };
    }

    /** Adds an active held lease without a table write; for tests. */
    void holdForTest(Lease lease) {
        Held h = new Held(lease, time.millis());
        h.active = true;
        held.put(lease.leaseKey(), h);
    }

    /**
     * Renews every held lease once; package-private for tests. A lease whose last successful renewal was sent more
     * than the failover time ago is dropped first, whatever its renewal is doing: peers may take it from then on.
     * Waits for the answers at most one renewal interval, so a renewal that never answers cannot stop that check;
     * a lease whose renewal is still in flight is not renewed again meanwhile.
     */
    void renewAll() {
        long now = time.millis();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Map.Entry<String, Held> e : held.entrySet()) {
            Held h = e.getValue();
            if (now - h.lastRenewedMillis > failoverTime.toMillis()) {
                log.warn("Lease {} was not renewed for {}; considering it lost", e.getKey(), failoverTime);
                lost(e.getKey(), h);
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
            renewCycleFailures.report("Lease renewal cycle of worker " + workerId, "retrying next cycle", e);
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
                    lost(key, h);
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
                        activate(h);
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
                    held.remove(key);
                    log.info("Lease {} is being handed off to {}", key, current.get().leaseOwner());
                    listener.handoffRequested(key);
                } else {
                    lost(key, h);
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
                activate(h);
            } else {
                lost(key, h);
            }
        });
    }

    private void activate(Held h) {
        Lease lease = h.lease;
        if (lease.isCompleted()) {
            // the shard ended after our scan or during a handoff: a consumer would read it again from the start
            // (there is no position after SHARD_END); only its children are left to process
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

    private void lost(String key, Held h) {
        if (held.remove(key, h)) {
            log.warn("Lost lease {}", key);
            metrics.leaseLost(key);
            if (h.active) {
                listener.leaseLost(key);
            }
        }
    }

    /**
     * One scan: report rows this worker cannot use, track expiry, then take and steal as planned; package-private
     * for tests.
     */
    void scanAndTake() {
        LeaseScan scan = table.scan().join();
        unusableRows.report(scan.problems());
        List<Lease> leases = new ArrayList<>();
        for (Lease l : scan.leases()) {
            // a lease we hold but the row shows unowned (cleared by hand or a tool): still ours until a renewal
            // says otherwise; as "unowned" we would take it a second time and start a second consumer
            leases.add(!l.isOwned() && held.containsKey(l.leaseKey()) ? withOwner(l, workerId) : l);
        }
        long now = time.millis();
        Map<String, Observed> seen = new HashMap<>();
        for (Lease l : leases) {
            Observed o = observed.get(l.leaseKey());
            if (o == null) {
                o = new Observed(l.leaseCounter(), now, false);
            } else if (o.counter() != l.leaseCounter()) {
                o = new Observed(l.leaseCounter(), now, true);
            }
            seen.put(l.leaseKey(), o);
        }
        observed.clear();
        observed.putAll(seen);
        LeaseBalancer.Plan plan = LeaseBalancer.plan(leases, scan.unusableKeys(), l -> isExpired(l, now), l -> {
            Observed o = observed.get(l.leaseKey());
            return o != null && o.changedSinceFirstSeen();
        }, workerId, maxSteal, random);
        for (Lease l : plan.take()) {
            long sent = time.millis();
            Optional<Lease> taken = table.take(l, workerId).join();
            if (taken.isPresent()) {
                log.info("Took lease {} (previous owner {}, counter {})", l.leaseKey(), l.leaseOwner(),
                        l.leaseCounter());
                metrics.leaseTaken(l.leaseKey());
                Held h = new Held(taken.get(), sent);
                held.put(l.leaseKey(), h);
                if (taken.get().isHandoffPending()) {
                    log.info("Lease {}: waiting for {} to finish its handoff", l.leaseKey(),
                            taken.get().checkpointOwner());
                } else {
                    activate(h);
                }
            } else {
                log.debug("Lost the race for lease {}", l.leaseKey());
            }
        }
        for (Lease l : plan.steal()) {
            long sent = time.millis();
            Optional<Lease> stolen = table.steal(l, workerId).join();
            if (stolen.isPresent()) {
                log.info("Stole lease {} from {} (target {} leases per worker, {} workers); waiting for its handoff",
                        l.leaseKey(), l.leaseOwner(), plan.target(), plan.workers());
                metrics.leaseStolen(l.leaseKey(), l.leaseOwner());
                held.put(l.leaseKey(), new Held(stolen.get(), sent));
            }
        }
        metrics.leasesHeld(held.size());
    }

    private static Lease withOwner(Lease l, String owner) {
        return new Lease(l.leaseKey(), owner, l.leaseCounter(), l.checkpoint(), l.ownerSwitchesSinceCheckpoint(),
                l.parentShardIds(), l.childShardIds(), l.startingHashKey(), l.endingHashKey(), l.checkpointOwner());
    }

    private boolean isExpired(Lease l, long now) {
        if (held.containsKey(l.leaseKey())) {
            return false; // ours: renewAll decides when we lose it; taking it again would start a second consumer
        }
        if (!l.isOwned()) {
            return true;
        }
        Observed o = observed.get(l.leaseKey());
        return o != null && now - o.sinceMillis() > failoverTime.toMillis();
    }
}
