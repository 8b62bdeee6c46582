package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Time;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet watching itself: in this worker's monitor slots ({@link FleetRules}), and once when it starts, it reads
 * every worker row (one eventually consistent Query), declares dead the workers not heard from for the failover time
 * and gives their leases to the least loaded live workers, and pulls leases towards itself by graceful handoff when
 * a peer holds two or more than it does. Its latest read is the worker's view of the fleet (who is live, who leads).
 *
 * <p>A peer whose heartbeat a poll finds more than two heartbeat intervals old is a suspect: this worker polls again
 * the moment it becomes failover-old, instead of waiting for the next slot of its own, which with W workers is up to W
 * slots away. Takeover after a crash is then the failover time from the last heartbeat plus the reassignment, not
 * plus a slot. The check reads the whole fleet, not the suspect's row alone: its leases must go to workers live now,
 * and peers that died with it must be declared dead with it. Checks due within the same quarter of a slot share one
 * poll; nothing is read while every peer beats on time.
 */
final class FleetMonitor {

    private static final Logger log = LoggerFactory.getLogger(FleetMonitor.class);
    /** Rows of workers dead this long, with no lease left, are deleted. */
    static final Duration FORGET_DEAD_AFTER = Duration.ofHours(1);
    /** A peer's beatAt this far ahead of our clock means the clocks disagree (fencing assumes they do not). */
    static final long CLOCK_SKEW_WARNING_MILLIS = 1000;
    /** A suspect is checked at least this long after it turns failover-old, to be past the boundary on our clock. */
    static final long SUSPECT_CHECK_GRACE_MILLIS = 20;

    private final Workers workers;
    private final LeaseTable table;
    private final HeldLeases held;
    private final String workerId;
    private final Time time;
    private final ConsumerMetrics metrics;
    private final Random random;
    private final long failoverMillis;
    private final long monitorMillis;
    private final long suspectAfterMillis;
    private final ScheduledExecutorService scheduler;
    /** Suspects with a check scheduled, and the beats it was scheduled for (a newer beat gets its own check). */
    private final Map<String, Long> suspects = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    private final int maxMoves;
    private final Runnable lookUpOwnLeases;
    private final BooleanSupplier fenced;
    private final FailureReporter failures;
    private final Set<String> warnedClock = new HashSet<>();
    /** The last poll: every row, and when (wall millis). */
    private volatile List<WorkerRow> rows = List.of();
    private volatile long polledAtWall;
    private volatile boolean polled;

    FleetMonitor(Workers workers, LeaseTable table, HeldLeases held, String workerId, Time time,
            ConsumerMetrics metrics, Random random, Duration failoverTime, Duration monitorInterval,
            Duration heartbeatInterval, int maxMoves, Runnable lookUpOwnLeases, BooleanSupplier fenced,
            FailureReporter failures, ScheduledExecutorService scheduler) {
        this.workers = workers;
        this.table = table;
        this.held = held;
        this.workerId = workerId;
        this.time = time;
        this.metrics = metrics;
        this.random = random;
        this.failoverMillis = failoverTime.toMillis();
        this.monitorMillis = monitorInterval.toMillis();
        this.suspectAfterMillis = 2 * heartbeatInterval.toMillis();
        this.scheduler = scheduler;
        this.maxMoves = maxMoves;
        this.lookUpOwnLeases = lookUpOwnLeases;
        this.fenced = fenced;
        this.failures = failures;
    }

    /** Milliseconds from now to the start of the next monitor slot (plus a tenth of one, to be safely inside). */
    long millisToNextSlot() {
        long wall = wallMillis();
        return (FleetRules.slot(wall, monitorMillis) + 1) * monitorMillis - wall + monitorMillis / 10;
    }

    /** One monitor slot: polls if it is this worker's (or it never polled). */
    void tick() {
        if (fenced.getAsBoolean()) {
            return;
        }
        try {
            if (!polled) {
                poll(false); // a starting worker reads the fleet at once, and balances in its own slots only:
                // two workers starting together would otherwise both pull from the same peer at the same moment
            } else if (FleetRules.isMySlot(FleetRules.slot(wallMillis(), monitorMillis), liveIds(), workerId)) {
                poll(true);
            }
            failures.recovered();
        } catch (RuntimeException e) {
            failures.report("Fleet poll of worker " + workerId, "retrying in its next slot", e);
        }
    }

    /** Uses rows just read (start-up) as the view. */
    void view(List<WorkerRow> rows) {
        this.rows = List.copyOf(rows);
        this.polledAtWall = wallMillis();
        this.polled = true;
    }

    /** The live workers of the latest view, this one included (unless it is leaving). */
    List<String> liveIds() {
        List<String> ids = new ArrayList<>();
        for (WorkerRow r : rows) {
            if (r.isLiveAt(polledAtWall, failoverMillis)) {
                ids.add(r.workerId());
            }
        }
        if (!ids.contains(workerId)) {
            ids.add(workerId);
        }
        Collections.sort(ids);
        return ids;
    }

    /** Leases per live worker of the latest view; this worker's own count is exact. */
    Map<String, Integer> counts() {
        Map<String, Integer> counts = new HashMap<>();
        for (WorkerRow r : rows) {
            if (r.isLiveAt(polledAtWall, failoverMillis) && !r.workerId().equals(workerId)) {
                counts.put(r.workerId(), Math.max(0, r.leaseCount()));
            }
        }
        counts.put(workerId, held.workload());
        return counts;
    }

    /** True when the latest view shows {@code worker} dead: evicted, silent for the failover time, or gone. */
    boolean isDead(String worker) {
        if (!polled || worker.equals(workerId)) {
            return false;
        }
        for (WorkerRow r : rows) {
            if (r.workerId().equals(worker)) {
                return r.isEvicted() || polledAtWall - r.beatAtMillis() > failoverMillis;
            }
        }
        return true;
    }

    /** The latest view's row of {@code worker}, if it has one. */
    Optional<WorkerRow> row(String worker) {
        return rows.stream().filter(r -> r.workerId().equals(worker)).findFirst();
    }

    /** One poll (package-private: tests call it directly). */
    void poll() {
        poll(true);
    }

    private synchronized void poll(boolean balance) {
        List<WorkerRow> all = workers.all().join();
        long now = wallMillis();
        view(all);
        for (WorkerRow r : all) {
            if (r.workerId().equals(workerId)) {
                continue;
            }
            if (r.beatAtMillis() - now > CLOCK_SKEW_WARNING_MILLIS && warnedClock.add(r.workerId())) {
                log.warn("Worker {}'s last heartbeat is {} ms ahead of this worker's clock: the fleet's clocks must"
                        + " agree within {} ms, or a worker may be declared dead while it still processes (use NTP)",
                        r.workerId(), r.beatAtMillis() - now, Membership.fenceMargin(
                                Duration.ofMillis(failoverMillis)).toMillis());
            }
            if (!r.isEvicted() && now - r.beatAtMillis() > failoverMillis) {
                evictAndReassign(r, now);
            } else if (!r.isEvicted() && now - r.beatAtMillis() > suspectAfterMillis) {
                watch(r, now);
            } else if (r.isEvicted() && r.leaseCount() > 0) {
                reassign(r.workerId(), r.evictedAt()); // its detector stopped half-way
            } else if (r.isEvicted() && now - r.evictedAt() > FORGET_DEAD_AFTER.toMillis()) {
                workers.deleteEvicted(r.workerId(), r.evictedAt()).join();
            }
        }
        if (balance) {
            balance();
        }
    }

    private void evictAndReassign(WorkerRow r, long now) {
        if (workers.evict(r.workerId(), r.beats(), now).join()) {
            log.warn("Worker {} declared dead: no heartbeat for {} ms; moving its leases", r.workerId(),
                    now - r.beatAtMillis());
            reassign(r.workerId(), now);
        }
    }

    /** Schedules a poll for the moment the suspect's last heartbeat seen turns failover-old. */
    private void watch(WorkerRow suspect, long now) {
        String id = suspect.workerId();
        Long scheduled = suspects.put(id, suspect.beats());
        if (scheduled != null && scheduled == suspect.beats()) {
            return;
        }
        long due = suspectCheckAt(suspect.beatAtMillis(), failoverMillis, monitorMillis);
        try {
            scheduler.schedule(() -> checkSuspect(id, suspect.beats(), due), due - now, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            suspects.remove(id, suspect.beats()); // stopping
        }
    }

    /**
     * When a suspect last heard from at {@code beatAtMillis} is checked: once failover-old, plus the grace, rounded up
     * to a quarter of a monitor slot. When many heartbeats are late at once (throttled writes, a fleet-wide pause),
     * their checks then share polls, at most four per slot and poller, instead of one poll each.
     */
    static long suspectCheckAt(long beatAtMillis, long failoverMillis, long monitorMillis) {
        long quantum = Math.max(1, monitorMillis / 4);
        return Math.floorDiv(beatAtMillis + failoverMillis + SUSPECT_CHECK_GRACE_MILLIS + quantum - 1, quantum)
                * quantum;
    }

    private void checkSuspect(String id, long beats, long due) {
        suspects.remove(id, beats);
        if (stopped || fenced.getAsBoolean()) {
            return;
        }
        try {
            synchronized (this) {
                if (polledAtWall < due) { // else a poll since the due time judged the suspect already
                    poll(false);
                }
            }
        } catch (RuntimeException e) {
            failures.report("Check of silent worker " + id + " by worker " + workerId,
                    "the monitor's next poll looks again", e);
        }
    }

    /** No more suspect checks (the worker is leaving or stopping); polls are the caller's to stop. */
    void stop() {
        stopped = true;
    }

    /** Gives every lease of the dead worker to the least loaded live workers (this one included). */
    private void reassign(String dead, long evictedAt) {
        List<String> keys = table.ownedKeys(dead).join();
        Map<String, Integer> counts = counts();
        counts.remove(dead);
        List<String> owners = FleetRules.leastLoaded(keys.size(), counts);
        Map<String, Integer> given = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            if (table.assign(keys.get(i), dead, owners.get(i)).join()) {
                given.merge(owners.get(i), 1, Integer::sum);
            }
        }
        log.info("Leases of dead worker {} given to {}", dead, given);
        tellAssigned(given);
        if (!workers.drained(dead, evictedAt).join()) {
            workers.assigned(dead, 0).join(); // it rejoined meanwhile: it must look its leases up again
        }
    }

    /** Tells each worker that got leases (a bumped assignVersion); this one looks its own up at once. */
    void tellAssigned(Map<String, Integer> given) {
        given.forEach((owner, n) -> {
            if (owner.equals(workerId)) {
                lookUpOwnLeases.run();
            } else {
                workers.assigned(owner, n).join();
            }
        });
    }

    /**
     * Pulls leases from the most loaded peers by graceful handoff, as {@link FleetRules#pulls} says on the counts of
     * the worker rows. Those counts may be a heartbeat old (a victim that has not noticed its handoffs yet still
     * reports them), so each move is checked again on what the owner index shows now: only while the victim holds
     * two or more than this worker (with the leases moving to it) does a lease move. That keeps the rule's
     * guarantee, no move undoing another, on stale rows.
     */
    private void balance() {
        Map<String, Integer> pulls = FleetRules.pulls(workerId, counts(), maxMoves);
        if (pulls.isEmpty()) {
            return;
        }
        int mine = Math.max(held.workload(), table.ownedKeys(workerId).join().size());
        int moved = 0;
        for (Map.Entry<String, Integer> p : pulls.entrySet()) {
            String victim = p.getKey();
            List<String> keys = new ArrayList<>(table.ownedKeys(victim).join());
            Collections.shuffle(keys, random);
            int theirs = keys.size();
            Set<String> taken = new HashSet<>();
            int next = 0;
            while (next < keys.size()) {
                // as many moves as the rule still allows, sent at once (one by one, taking a hundred leases took
                // seconds); a move that lost its condition is made up with the next keys
                int allowed = Math.min(p.getValue() - taken.size(), Math.min(maxMoves - moved, (theirs - mine) / 2));
                if (allowed <= 0) {
                    break;
                }
                Map<String, CompletableFuture<Boolean>> writes = new LinkedHashMap<>();
                for (String key : keys.subList(next, Math.min(keys.size(), next + allowed))) {
                    writes.put(key, table.startHandoff(key, victim, workerId));
                }
                next += writes.size();
                for (Map.Entry<String, CompletableFuture<Boolean>> w : writes.entrySet()) {
                    if (w.getValue().join()) {
                        taken.add(w.getKey());
                        moved++;
                        theirs--;
                        mine++;
                        metrics.leaseStolen(w.getKey(), victim);
                        log.info("Worker {} takes lease {} from {} by graceful handoff (balancing)", workerId,
                                w.getKey(), victim);
                    }
                }
            }
            if (!taken.isEmpty()) {
                // named on its row: the victim may not have looked these up yet, and then the owner index (which
                // names this worker now) would never show them to it, leaving the handoff to time out
                workers.handedOff(victim, taken).join();
            }
        }
        if (moved > 0) {
            lookUpOwnLeases.run();
        }
    }

    private long wallMillis() {
        return time.wallTime().toEpochMilli();
    }
}
