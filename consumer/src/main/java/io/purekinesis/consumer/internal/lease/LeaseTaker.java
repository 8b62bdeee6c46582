package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes leases: each scan reads the whole table (consistent scan), reports rows this worker cannot use, tracks when
 * each lease's counter last changed (a lease not changed for the failover time is expired, judged by this worker's
 * {@link Time} as in KCL), then takes and steals as {@link LeaseBalancer} plans. Scans run on one thread at a time.
 */
final class LeaseTaker {

    private static final Logger log = LoggerFactory.getLogger(LeaseTaker.class);

    /** A lease's counter, since when this worker sees it, and whether it saw it change (owner proven alive). */
    private record Observed(long counter, long sinceMillis, boolean changedSinceFirstSeen) {
    }

    private final LeaseTable table;
    private final HeldLeases held;
    private final String workerId;
    private final Duration failoverTime;
    private final int maxSteal;
    private final ConsumerMetrics metrics;
    private final Time time;
    private final Random random;
    private final UnusableRows unusableRows;
    private final FailureReporter scanFailures;
    private final Map<String, Observed> observed = new HashMap<>(); // scan thread only

    LeaseTaker(LeaseTable table, HeldLeases held, String workerId, Duration failoverTime, int maxSteal,
            ConsumerMetrics metrics, Time time, Random random, FailureReporter scanFailures) {
        this.table = table;
        this.held = held;
        this.workerId = workerId;
        this.failoverTime = failoverTime;
        this.maxSteal = maxSteal;
        this.metrics = metrics;
        this.time = time;
        this.random = random;
        this.unusableRows = new UnusableRows(table.tableName(), metrics);
        this.scanFailures = scanFailures;
    }

    /** One scan cycle; a failure is reported and the next cycle tries again. */
    void cycle() {
        try {
            scanAndTake();
            scanFailures.recovered();
        } catch (RuntimeException e) {
            scanFailures.report("Lease scan cycle of worker " + workerId, "retrying next cycle", e);
        }
    }

    /** One scan: report rows this worker cannot use, track expiry, then take and steal as planned. */
    void scanAndTake() {
        LeaseScan scan = table.scan().join();
        unusableRows.report(scan.problems());
        List<Lease> leases = new ArrayList<>();
        for (Lease l : scan.leases()) {
            // a lease we hold but the row shows unowned (cleared by hand or a tool): still ours until a renewal
            // says otherwise; as "unowned" we would take it a second time and start a second consumer
            leases.add(!l.isOwned() && held.contains(l.leaseKey()) ? withOwner(l, workerId) : l);
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
            take(l);
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

    private void take(Lease l) {
        long sent = time.millis();
        Optional<Lease> taken = table.take(l, workerId).join();
        if (taken.isEmpty()) {
            log.debug("Lost the race for lease {}", l.leaseKey());
            return;
        }
        log.info("Took lease {} (previous owner {}, counter {})", l.leaseKey(), l.leaseOwner(), l.leaseCounter());
        metrics.leaseTaken(l.leaseKey());
        Held h = new Held(taken.get(), sent);
        held.put(l.leaseKey(), h);
        if (taken.get().isHandoffPending()) {
            log.info("Lease {}: waiting for {} to finish its handoff", l.leaseKey(), taken.get().checkpointOwner());
        } else {
            held.activate(h);
        }
    }

    private static Lease withOwner(Lease l, String owner) {
        return new Lease(l.leaseKey(), owner, l.leaseCounter(), l.checkpoint(), l.ownerSwitchesSinceCheckpoint(),
                l.parentShardIds(), l.childShardIds(), l.startingHashKey(), l.endingHashKey(), l.checkpointOwner());
    }

    private boolean isExpired(Lease l, long now) {
        if (held.contains(l.leaseKey())) {
            return false; // ours: the renewer decides when we lose it; taking it again would start a second consumer
        }
        if (!l.isOwned()) {
            return true;
        }
        Observed o = observed.get(l.leaseKey());
        return o != null && now - o.sinceMillis() > failoverTime.toMillis();
    }
}
