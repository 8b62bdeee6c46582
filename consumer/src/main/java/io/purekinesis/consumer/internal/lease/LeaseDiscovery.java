package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import io.purekinesis.consumer.internal.lease.HeldLeases.State;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out which leases are this worker's, when told something changed (a new assignVersion in the heartbeat's
 * answer, a lease this worker assigned to itself): one keys-only query of the owner index, then a consistent read
 * of each lease it does not hold yet, and of each held lease the index no longer shows.
 *
 * <ul>
 *   <li>a lease naming this worker, no handoff pending: processed from its checkpoint (once its parents are at
 *       SHARD_END);</li>
 *   <li>naming this worker, another worker as checkpoint owner: a handoff to this worker; it waits until the
 *       other lets go, or {@code gracefulHandoffTimeout} passed, or the other is dead, then ends the handoff
 *       itself;</li>
 *   <li>a held lease now naming another owner and this worker as checkpoint owner: a handoff from this worker:
 *       its processor is asked to checkpoint (shutdownRequested), then the handoff is finished;</li>
 *   <li>a held lease that no longer names this worker at all: lost.</li>
 * </ul>
 * Handoffs from this worker that its heartbeat lists ({@link #handoffsAsked}) are dealt with at the next lookup:
 * a held lease goes the graceful way above (read again now, as the owner index may not show the move yet); one it
 * does not hold (a peer pulled it before this worker looked it up) is let go at once, since nothing processes it
 * here, and the new owner is told. Deciding under the lookup lock, where leases are adopted, is what makes "not
 * held" true: a lease is never let go while its adoption is under way, nor while its processor finishes a handoff.
 * Lookups run one at a time on the lease threads; a request while one runs makes it run once more.
 */
final class LeaseDiscovery {

    private static final Logger log = LoggerFactory.getLogger(LeaseDiscovery.class);
    /** Consistent reads of leases to adopt sent at once by a lookup. */
    static final int READS_IN_FLIGHT = 32;

    private final LeaseTable table;
    private final HeldLeases held;
    private final String workerId;
    private final Time time;
    private final ConsumerMetrics metrics;
    private final long handoffTimeoutMillis;
    private final long parentPollMillis;
    private final BooleanSupplier fenced;
    private final Predicate<String> isDead;
    private final Executor executor;
    private final FailureReporter failures;
    private final AtomicBoolean requested = new AtomicBoolean();
    private final Object lock = new Object();
    /** Leases this worker is handing off, with the worker they go to. */
    private final Map<String, String> handingOffTo = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    private volatile boolean started;
    /** Leases whose stopped processor could not be followed up yet (a failed read): the next tick retries. */
    private final Set<String> stoppedToRecheck = ConcurrentHashMap.newKeySet();
    /** The last lookup failed: the next heartbeat tick runs one again. */
    private volatile boolean retry;
    /** Handoffs from this worker listed on its row, not dealt with yet. */
    private final Set<String> asked = ConcurrentHashMap.newKeySet();
    private final Consumer<String> handoffDealt;
    private final Consumer<String> tellNewOwner;

    LeaseDiscovery(LeaseTable table, HeldLeases held, String workerId, Time time, ConsumerMetrics metrics,
            Duration handoffTimeout, Duration parentPoll, BooleanSupplier fenced, Predicate<String> isDead,
            Executor executor, FailureReporter failures, Consumer<String> handoffDealt, Consumer<String> tellNewOwner) {
        this.table = table;
        this.handoffDealt = handoffDealt;
        this.tellNewOwner = tellNewOwner;
        this.held = held;
        this.workerId = workerId;
        this.time = time;
        this.metrics = metrics;
        this.handoffTimeoutMillis = handoffTimeout.toMillis();
        this.parentPollMillis = parentPoll.toMillis();
        this.fenced = fenced;
        this.isDead = isDead;
        this.executor = executor;
        this.failures = failures;
    }

    /** Runs a lookup soon, on the lease threads. */
    void request() {
        if (!started || stopped || !requested.compareAndSet(false, true)) {
            return; // before start(): the consumer cannot run a lease yet (start() looks up anyway)
        }
        try {
            executor.execute(this::run);
        } catch (RejectedExecutionException e) {
            requested.set(false); // the consumer is stopping
        }
    }

    /** Lookups may run from now on (the consumer started); one runs at once. */
    void start() {
        started = true;
        request();
    }

    /** No lookups from now on (shutting down): the leases held are what is handed over. */
    void stop() {
        stopped = true;
    }

    /** The worker a lease this worker is handing off goes to; null when unknown. */
    String handoffTarget(String leaseKey) {
        return handingOffTo.remove(leaseKey);
    }

    /** Peers started handoffs of these leases from this worker (its heartbeat lists them): deal with them soon. */
    void handoffsAsked(Set<String> leaseKeys) {
        asked.addAll(leaseKeys);
        if (started) {
            request();
            return;
        }
        // not started (still creating leases as the leader, registering a stream consumer...): it holds nothing,
        // so every handoff asked of it ends at once, or its peers would wait out their handoff timeouts
        try {
            executor.execute(() -> {
                synchronized (lock) {
                    try {
                        dealWithAskedHandoffs();
                    } catch (RuntimeException e) {
                        failures.report("Handoffs of worker " + workerId, "retrying at its first lookup", e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** Workers this worker owes a finished handoff to (it was the checkpoint owner), by lease. */
    Map<String, String> pendingHandoffs() {
        return Map.copyOf(handingOffTo);
    }

    private void run() {
        requested.set(false);
        synchronized (lock) {
            try {
                lookUp();
                failures.recovered();
            } catch (RuntimeException e) {
                failures.report("Lease lookup of worker " + workerId, "retrying at the next heartbeat", e);
                retry = true;
            }
        }
    }

    /** One lookup (package-private: tests call it directly). */
    void lookUp() {
        if (stopped || fenced.getAsBoolean()) {
            return;
        }
        dealWithAskedHandoffs();
        Set<String> owned = new HashSet<>(table.ownedKeys(workerId).join());
        List<String> toAdopt = owned.stream().filter(k -> !held.contains(k)).toList();
        for (int from = 0; from < toAdopt.size(); from += READS_IN_FLIGHT) {
            // the reads of a chunk at once: one at a time, a worker given hundreds of leases at start-up took
            // tens of seconds to look them up, reporting (and so being balanced on) a count far below its share
            List<String> chunk = toAdopt.subList(from, Math.min(toAdopt.size(), from + READS_IN_FLIGHT));
            Map<String, CompletableFuture<Optional<Lease>>> reads = new LinkedHashMap<>();
            chunk.forEach(key -> reads.put(key, table.get(key)));
            for (Map.Entry<String, CompletableFuture<Optional<Lease>>> r : reads.entrySet()) {
                if (!held.contains(r.getKey()) && !fenced.getAsBoolean() && !stopped) {
                    adopt(r.getKey(), r.getValue().join());
                }
            }
            // a worker adopting a thousand leases is pulled from meanwhile: its peers wait for these answers
            dealWithAskedHandoffs();
        }
        for (Map.Entry<String, Held> e : held.entries()) {
            if (!owned.contains(e.getKey()) || e.getValue().state == State.WAITING_HANDOFF) {
                recheck(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Handoffs from this worker its heartbeat listed: before any adoption, so a lease that cannot be read (a failing
     * lookup) does not hold up leases a peer waits for.
     */
    private void dealWithAskedHandoffs() {
        if (asked.isEmpty() || stopped || fenced.getAsBoolean()) {
            return;
        }
        Set<String> toTell = new HashSet<>();
        List<String> keys = List.copyOf(asked);
        for (int from = 0; from < keys.size(); from += READS_IN_FLIGHT) {
            // a chunk's reads and writes at once: one by one, a worker asked for hundreds took longer than its
            // peers' handoff timeout
            Map<String, CompletableFuture<Optional<Lease>>> reads = new LinkedHashMap<>();
            Map<String, CompletableFuture<String>> ends = new LinkedHashMap<>();
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + READS_IN_FLIGHT));
            for (String key : chunk) {
                if (held.get(key) != null) {
                    reads.put(key, table.get(key)); // the owner index may still show it: the row says if it moved
                } else if (!handingOffTo.containsKey(key)) { // else its processor is finishing: it ends the handoff
                    ends.put(key, table.finishHandoffNotHeld(key, workerId));
                }
            }
            reads.forEach((key, read) -> {
                Held h = held.get(key);
                if (h != null) {
                    recheck(key, h, read.join());
                }
            });
            ends.forEach((key, end) -> {
                String next = end.join();
                if (next != null) {
                    log.info("Worker {} let lease {} go to {} at once (a handoff of a lease it had not started)",
                            workerId, key, next);
                    toTell.add(next);
                }
            });
            for (String key : chunk) {
                asked.remove(key);
                handoffDealt.accept(key);
            }
        }
        toTell.forEach(tellNewOwner); // once per new owner: its lookup finds every lease let go
    }

    private void adopt(String key, Optional<Lease> read) {
        if (read.isEmpty() || !read.get().isOwnedBy(workerId)) {
            return; // moved on since the index saw it
        }
        Lease lease = read.get();
        long now = time.millis();
        Held h = new Held(lease, State.WAITING_PARENTS, now);
        held.put(key, h);
        metrics.leaseTaken(key);
        if (lease.isHandoffPending() && !workerId.equals(lease.checkpointOwner())) {
            h.state = State.WAITING_HANDOFF;
            log.info("Lease {} is this worker's; waiting for {} to finish its handoff", key, lease.checkpointOwner());
            return;
        }
        log.info("Worker {} got lease {} (checkpoint {})", workerId, key, lease.checkpoint());
        startIfParentsDone(key, h);
    }

    /** A held lease the index does not show, or whose handoff to this worker may be over: read it again. */
    private void recheck(String key, Held h) {
        recheck(key, h, table.get(key).join());
    }

    private void recheck(String key, Held h, Optional<Lease> read) {
        if (held.get(key) != h) {
            return;
        }
        if (read.isEmpty()) {
            held.lost(key, h);
            return;
        }
        Lease lease = read.get();
        if (lease.isOwnedBy(workerId)) {
            String previous = h.lease.checkpointOwner();
            h.lease = lease;
            if (h.state == State.WAITING_HANDOFF && (!lease.isHandoffPending()
                    || workerId.equals(lease.checkpointOwner()))) {
                log.info("Lease {}: {} finished its handoff", key, previous);
                startIfParentsDone(key, h);
            }
            return;
        }
        if (workerId.equals(lease.checkpointOwner()) && lease.isOwned()) {
            handingOffTo.put(key, lease.leaseOwner());
            held.handingOff(key, h, lease.leaseOwner());
            return;
        }
        held.lost(key, h);
    }

    /**
     * Each heartbeat interval: ends handoffs whose previous owner is dead or took too long, and starts leases whose
     * parents finished meanwhile.
     */
    void tick() {
        if (stopped || fenced.getAsBoolean()) {
            return;
        }
        if (retry) {
            retry = false;
            request();
        }
        for (String key : Set.copyOf(stoppedToRecheck)) {
            stoppedToRecheck.remove(key);
            processingStopped(key);
        }
        try {
            waits();
        } catch (RuntimeException e) {
            failures.report("Handoff and parent waits of worker " + workerId, "retrying at the next heartbeat", e);
        }
    }

    private void waits() {
        synchronized (lock) {
            long now = time.millis();
            for (Map.Entry<String, Held> e : held.entries()) {
                Held h = e.getValue();
                if (h.state == State.WAITING_HANDOFF) {
                    String previous = h.lease.checkpointOwner();
                    boolean dead = previous != null && isDead.test(previous);
                    if (dead || now - h.sinceMillis >= handoffTimeoutMillis) {
                        force(e.getKey(), h, previous, dead);
                    }
                } else if (h.state == State.WAITING_PARENTS && now - h.sinceMillis >= parentPollMillis) {
                    startIfParentsDone(e.getKey(), h);
                }
            }
        }
    }

    /** A parent of a held lease reached SHARD_END on this worker: its children need not wait for the next poll. */
    void parentsMayBeDone() {
        try {
            executor.execute(() -> {
                synchronized (lock) {
                    for (Map.Entry<String, Held> e : held.entries()) {
                        if (e.getValue().state == State.WAITING_PARENTS) {
                            startIfParentsDone(e.getKey(), e.getValue());
                        }
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /**
     * The processor of a held lease stopped because a checkpoint was refused (the condition failed): the lease may
     * have moved, or the refusal came from elsewhere (a write that landed but whose answer was lost and retried). Reads
     * the row: still this worker's, with no handoff pending, it is processed again from its checkpoint; else it is
     * handed off or dropped as a lookup would. A shard never stays held with nothing processing it.
     */
    void processingStopped(String key) {
        try {
            executor.execute(() -> {
                synchronized (lock) {
                    Held h = held.get(key);
                    if (h == null || h.state != State.ACTIVE || stopped || fenced.getAsBoolean()) {
                        return; // dropped by the coordinator already, or shutting down
                    }
                    try {
                        Optional<Lease> read = table.get(key).join();
                        if (held.get(key) != h) {
                            return;
                        }
                        if (read.isPresent() && read.get().isOwnedBy(workerId) && !read.get().isHandoffPending()) {
                            h.lease = read.get();
                            log.info("Lease {} is still worker {}'s: processing it again from {}", key, workerId,
                                    h.lease.checkpoint());
                            held.activate(h, time.millis());
                        } else {
                            recheck(key, h);
                        }
                    } catch (RuntimeException e) {
                        failures.report("Reading lease " + key + " of worker " + workerId, "retrying at the next "
                                + "heartbeat", e);
                        stoppedToRecheck.add(key);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    private void force(String key, Held h, String previous, boolean dead) {
        log.warn("Previous owner {} of lease {} {}; taking over from the last checkpoint", previous, key,
                dead ? "is dead" : "did not finish its handoff within " + handoffTimeoutMillis + " ms");
        if (previous == null || table.forceHandoff(key, workerId, previous).join()) {
            Optional<Lease> read = table.get(key).join();
            if (held.get(key) == h && read.isPresent() && read.get().isOwnedBy(workerId)) {
                h.lease = read.get();
                startIfParentsDone(key, h);
                return;
            }
        }
        recheck(key, h);
    }

    private void startIfParentsDone(String key, Held h) {
        long now = time.millis();
        for (String parent : h.lease.parentShardIds()) {
            // rows name parents by shard id (as KCL's); a multi-stream parent's key has the child's stream prefix
            if (!table.isCompletedOrGone(StreamKey.siblingKey(key, parent)).join()) {
                if (h.state != State.WAITING_PARENTS) {
                    log.info("Lease {} waits for its parent {} to reach SHARD_END", key, parent);
                }
                h.state = State.WAITING_PARENTS;
                h.sinceMillis = now;
                return;
            }
        }
        if (held.get(key) == h && !fenced.getAsBoolean()) {
            held.activate(h, now);
        }
    }
}
