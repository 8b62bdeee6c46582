package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This worker's membership of the fleet: its heartbeat row, written every heartbeat interval with an UpdateItem
 * whose answer (ALL_NEW, no read cost) says whether leases were assigned to it (a new assignVersion: look them up)
 * or whether a peer declared it dead (evictedAt: drop everything, rejoin).
 *
 * <p><b>Self-fencing.</b> Peers declare a worker dead when its row's beatAt is more than the failover time old by
 * their wall clock. The worker itself, by its monotonic clock, drops every lease (processors get leaseLost, which
 * also refuses their checkpoints) once no heartbeat sent in the last (failover time - {@link #fenceMargin}) was
 * written: before any peer can reassign them, provided the clocks agree within that margin. It starts again when a
 * heartbeat is written, by looking its leases up.
 */
final class Membership {

    private static final Logger log = LoggerFactory.getLogger(Membership.class);
    /** Lookups after a change of assignVersion: the owner index may lag the table for a moment. */
    static final int CATCH_UP_LOOKUPS = 2;

    private final Workers workers;
    private final String workerId;
    private final Time time;
    private final HeldLeases held;
    private final ConsumerMetrics metrics;
    private final Runnable lookUpLeases;
    private final long failoverMillis;
    private final long fenceAfterMillis;
    private final FailureReporter failures;
    private final long answerWaitMillis;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private ScheduledFuture<?> fenceCheck; // guarded by this
    private volatile long inFlightSinceMillis;
    /** When the last heartbeat that was written had been sent ({@link Time#millis()}). */
    private volatile long lastWrittenSentMillis;
    private volatile boolean fenced;
    private volatile long seenVersion = -1;
    private volatile boolean leaving;
    private volatile int catchUp;
    private final Consumer<Set<String>> handoffsAsked;
    /** Handoffs passed on and not yet deleted from the row (a key seen again after its delete is a new handoff). */
    private final Set<String> handoffsPassed = new HashSet<>(); // guarded by itself
    /** Handoffs dealt with, for the next heartbeat to delete from the row. */
    private final Set<String> handoffsDone = ConcurrentHashMap.newKeySet();

    Membership(Workers workers, String workerId, Time time, ScheduledExecutorService scheduler,
            Duration failoverTime, Duration heartbeatInterval, HeldLeases held, ConsumerMetrics metrics,
            Runnable lookUpLeases, Consumer<Set<String>> handoffsAsked, FailureReporter failures) {
        this.scheduler = scheduler;
        this.handoffsAsked = handoffsAsked;
        this.workers = workers;
        this.workerId = workerId;
        this.time = time;
        this.held = held;
        this.metrics = metrics;
        this.lookUpLeases = lookUpLeases;
        this.failoverMillis = failoverTime.toMillis();
        this.fenceAfterMillis = failoverMillis - fenceMargin(failoverTime).toMillis();
        this.failures = failures;
        this.answerWaitMillis = heartbeatInterval.toMillis();
    }

    /** How long before a peer may declare it dead a worker whose heartbeats fail stops: a fifth, at most 1 s. */
    static Duration fenceMargin(Duration failoverTime) {
        Duration fifth = failoverTime.dividedBy(5);
        return fifth.compareTo(Duration.ofSeconds(1)) < 0 ? fifth : Duration.ofSeconds(1);
    }

    /** Writes the first heartbeat, waiting for it (start-up); rejoins if a former incarnation was evicted. */
    WorkerRow join() {
        long sent = time.millis();
        WorkerRow row = workers.heartbeat(workerId, wallMillis(), held.workload(), false).join();
        if (row.isEvicted()) {
            workers.rejoin(workerId, row.evictedAt()).join();
        }
        lastWrittenSentMillis = sent;
        seenVersion = row.assignVersion();
        scheduleFenceCheck(sent);
        passOn(row.handoffs()); // asked of a former incarnation: dealt with at the first lookup
        return row;
    }

    /**
     * Checks for fencing exactly when a worker whose heartbeats stopped being written must stop, not only at the
     * next heartbeat tick (up to a heartbeat interval later, which could be after peers may declare it dead).
     */
    private synchronized void scheduleFenceCheck(long sent) {
        if (fenceCheck != null) {
            fenceCheck.cancel(false);
        }
        try {
            fenceCheck = scheduler.schedule(this::checkFence, sent + fenceAfterMillis - time.millis() + 1,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void checkFence() {
        long now = time.millis();
        if (!fenced && now - lastWrittenSentMillis > fenceAfterMillis) {
            fence("no heartbeat was written for " + (now - lastWrittenSentMillis) + " ms (peers declare a worker "
                    + "dead after " + failoverMillis + " ms)");
        }
    }

    boolean isFenced() {
        return fenced;
    }

    /** From now on the heartbeat says LEAVING: peers assign this worker nothing more. */
    void leaving() {
        leaving = true;
    }

    /** One heartbeat interval: fence if heartbeats failed too long, then send one (unless one is in flight). */
    void tick() {
        long now = time.millis();
        checkFence();
        if (catchUp > 0) {
            catchUp--;
            lookUpLeases.run();
        }
        if (!inFlight.compareAndSet(false, true)) {
            if (now - inFlightSinceMillis < failoverMillis) {
                return; // the last one is still out; the fencing check above covers it
            }
            log.warn("Heartbeat of worker {} unanswered for {} ms; sending another", workerId,
                    now - inFlightSinceMillis);
        }
        inFlightSinceMillis = now;
        Set<String> dealt = Set.copyOf(handoffsDone);
        synchronized (handoffsPassed) {
            handoffsPassed.removeAll(dealt); // from this answer on, a key still listed was added again
        }
        CompletableFuture<Void> done = workers.heartbeat(workerId, wallMillis(), held.workload(), leaving, dealt)
                .handle((row, e) -> {
                    inFlight.set(false);
                    if (e != null) {
                        failures.report("Heartbeat of worker " + workerId, "retrying every heartbeat interval; the "
                                + "worker stops processing " + fenceAfterMillis + " ms after its last heartbeat "
                                + "written", e);
                    } else {
                        handoffsDone.removeAll(dealt); // deleted from the row (else the next heartbeat retries)
                        failures.recovered();
                        answered(row, now);
                    }
                    return null;
                });
        try {
            // wait a while for the answer, so the next tick sees it; a slow one is handled when it comes
            done.get(answerWaitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // reported above, or still out
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void answered(WorkerRow row, long sent) {
        if (row.isEvicted()) {
            fence("a peer declared it dead at " + row.evictedAt() + " (its heartbeats did not arrive)");
            workers.rejoin(workerId, row.evictedAt()).whenComplete((ok, e) -> {
                if (e != null) {
                    log.warn("Worker {} could not rejoin yet: {}", workerId, Failures.describe(e));
                } else {
                    log.info("Worker {} rejoined the fleet", workerId);
                }
            });
            return;
        }
        if (sent > lastWrittenSentMillis) {
            lastWrittenSentMillis = sent;
            scheduleFenceCheck(sent);
        }
        boolean wasFenced = fenced;
        fenced = false;
        passOn(row.handoffs());
        metrics.leasesHeld(held.workload());
        if (wasFenced || row.assignVersion() != seenVersion) {
            if (wasFenced) {
                log.info("Worker {}: heartbeats are written again; looking up its leases", workerId);
            }
            seenVersion = row.assignVersion();
            catchUp = CATCH_UP_LOOKUPS;
            lookUpLeases.run();
        }
    }

    /** The handoff of {@code leaseKey} from this worker was dealt with: the next heartbeat takes it off the row. */
    void handoffDealt(String leaseKey) {
        handoffsDone.add(leaseKey);
    }

    private void passOn(Set<String> listed) {
        Set<String> fresh = new HashSet<>();
        synchronized (handoffsPassed) {
            if (listed.isEmpty() && handoffsPassed.isEmpty()) {
                return; // the usual answer
            }
            handoffsPassed.retainAll(listed);
            for (String key : listed) {
                if (!handoffsDone.contains(key) && handoffsPassed.add(key)) {
                    fresh.add(key);
                }
            }
        }
        if (!fresh.isEmpty()) {
            handoffsAsked.accept(fresh);
        }
    }

    private void fence(String why) {
        if (!fenced) {
            log.warn("Worker {} stops processing all {} of its leases: {}", workerId, held.keys().size(), why);
        }
        fenced = true;
        held.loseAll();
    }

    private long wallMillis() {
        return time.wallTime().toEpochMilli();
    }
}
