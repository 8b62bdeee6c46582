package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This worker's part of the fleet's lease protocol (see ARCHITECTURE.md, "Leases"): its heartbeat
 * ({@link Membership}: liveness per worker, not per lease, and self-fencing), the fleet monitor in its slots
 * ({@link FleetMonitor}: dead workers' leases reassigned, balancing by graceful handoff), the leader's duties when it
 * leads ({@link LeaderDuties}: shard sync, full table read), and the lookup of its own leases when told they changed
 * ({@link LeaseDiscovery}). Tells its {@link Listener} when a lease may be processed, is lost, or must be handed
 * off. Runs on the consumer's lease threads and time.
 */
public final class LeaseCoordinator {

    private static final Logger log = LoggerFactory.getLogger(LeaseCoordinator.class);

    /** Called on the lease threads; implementations must return quickly. */
    public interface Listener {
        /** The lease is held and no handoff is pending: start processing it. */
        void leaseAcquired(Lease lease);

        /** The lease is gone: stop at once. */
        void leaseLost(String leaseKey);

        /** A peer takes the lease with a handoff: finish gracefully, checkpoint, then {@link #finishHandoff}. */
        void handoffRequested(String leaseKey);
    }

    private final LeaseTable table;
    private final Workers workers;
    private final String workerId;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    private final ScheduledExecutorService heartbeatScheduler;
    private final Duration heartbeatInterval;
    private final Duration failoverTime;
    private final HeldLeases held;
    private final Membership membership;
    private final LeaseDiscovery discovery;
    private final FleetMonitor monitor;
    private final LeaderDuties leader;
    private ScheduledFuture<?> heartbeatTask;
    private ScheduledFuture<?> monitorTask;
    private volatile boolean monitoring;

    /** Takes its settings, metrics, time, random source and scheduler (the lease threads) from {@code context}. */
    public LeaseCoordinator(LeaseTable table, Workers workers, ShardSyncer syncer, ConsumerContext context,
            Listener listener) {
        ConsumerConfig config = context.config();
        this.table = table;
        this.workers = workers;
        this.workerId = context.workerId();
        this.time = context.time();
        this.scheduler = context.leaseScheduler();
        this.heartbeatScheduler = context.heartbeatScheduler();
        this.heartbeatInterval = config.heartbeatInterval();
        this.held = new HeldLeases(context.metrics(), listener);
        Duration failover = config.failoverTime();
        this.failoverTime = failover;
        FleetMonitor[] monitorRef = new FleetMonitor[1];
        Membership[] membershipRef = new Membership[1];
        Duration parentPoll = failover.compareTo(Duration.ofSeconds(10)) < 0 ? failover : Duration.ofSeconds(10);
        this.discovery = new LeaseDiscovery(table, held, workerId, time, context.metrics(),
                config.gracefulHandoffTimeout(), parentPoll, () -> membershipRef[0].isFenced(),
                w -> monitorRef[0].isDead(w), scheduler, reporter(context), key -> membershipRef[0].handoffDealt(key),
                next -> workers.assigned(next, 0).join());
        this.membership = new Membership(workers, workerId, time, context.heartbeatScheduler(), failover,
                heartbeatInterval, held,
                context.metrics(),
                discovery::request, discovery::handoffsAsked, reporter(context));
        membershipRef[0] = membership;
        this.monitor = new FleetMonitor(workers, table, held, workerId, time, context.metrics(), context.random(),
                failover, config.monitorInterval(), heartbeatInterval, config.maxLeasesToMoveAtOneTime(),
                discovery::request, membership::isFenced, reporter(context), scheduler);
        monitorRef[0] = monitor;
        this.leader = new LeaderDuties(table, syncer, workers, monitor, workerId, time, config.shardSyncInterval(),
                config.fullScanInterval(), context.metrics(), scheduler, reporter(context), key -> {
                    if (key == null) {
                        held.loseAll();
                        return;
                    }
                    Held h = held.get(key);
                    if (h != null) {
                        held.lost(key, h);
                    }
                });
    }

    private static FailureReporter reporter(ConsumerContext context) {
        return new FailureReporter(log, context.metrics(), context.time());
    }

    /**
     * Joins the fleet (the first heartbeat) and reads its worker rows; if this worker leads, makes {@code scan}
     * (the start-up check's) the leader's first full read: gives away rows no live worker owns and creates the
     * missing leases, owned. Returns how many leases it created.
     */
    public int joinAndSync(LeaseScan scan) {
        membership.join();
        // heartbeats from the first one on: what follows (the leader's lease creation, a stream consumer's
        // registration) can outlast the failover time, and peers would declare this worker dead before it started
        startHeartbeats();
        monitor.view(workers.all().join());
        if (!workerId.equals(FleetRules.leader(monitor.liveIds()))) {
            return 0;
        }
        leader.ledAtStart();
        return leader.fullScan(scan);
    }

    /**
     * Starts the monitor (which polls at once) and looks up this worker's leases; heartbeats run from
     * {@link #joinAndSync} on (or from here, when it was not called).
     */
    public synchronized void start() {
        startHeartbeats();
        monitoring = true;
        scheduleMonitor(0);
        discovery.start();
    }

    private synchronized void startHeartbeats() {
        if (heartbeatTask == null) {
            long beat = heartbeatInterval.toMillis();
            heartbeatTask = heartbeatScheduler.scheduleAtFixedRate(this::heartbeat, beat, beat,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void heartbeat() {
        try {
            membership.tick();
            scheduler.execute(discovery::tick);
        } catch (RejectedExecutionException e) {
            // stopping
        } catch (RuntimeException e) {
            // never let it end the periodic task: heartbeats must go on (failures are reported by the tick)
            log.warn("Heartbeat tick of worker {} failed: {}", workerId, Failures.describe(e));
        }
    }

    private synchronized void scheduleMonitor(long delayMillis) {
        if (!monitoring) {
            return;
        }
        try {
            monitorTask = scheduler.schedule(() -> {
                monitor.tick();
                if (!membership.isFenced()) {
                    leader.tick();
                }
                scheduleMonitor(monitor.millisToNextSlot());
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            monitoring = false;
        }
    }

    /**
     * Graceful shutdown begins: no more polls, balancing, leader duties or lookups, and the heartbeat says LEAVING
     * so peers assign this worker nothing more. Heartbeats go on until {@link #leave()}.
     */
    public synchronized void stopTaking() {
        monitoring = false;
        if (monitorTask != null) {
            monitorTask.cancel(false);
        }
        monitor.stop();
        discovery.stop();
        membership.leaving();
    }

    /**
     * Leaves the fleet (after the processors checkpointed): finishes the handoffs it owes, gives every held lease to
     * the least loaded live worker (unowned when none is left: the next worker to start, or KCL, takes them), tells
     * them, stops heartbeats and deletes its worker row.
     */
    public void leave() {
        stopTaking();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        discovery.pendingHandoffs().keySet().forEach(key -> writes.add(finishHandoff(key)));
        Map<String, Integer> counts = new HashMap<>();
        try {
            long now = time.wallTime().toEpochMilli();
            for (WorkerRow r : workers.all().join()) {
                if (!r.workerId().equals(workerId) && r.isLiveAt(now, failoverTime.toMillis())) {
                    counts.put(r.workerId(), r.leaseCount());
                }
            }
        } catch (RuntimeException e) {
            log.warn("Worker {} could not read the fleet to hand its leases over; releasing them: {}", workerId,
                    Failures.describe(e));
        }
        Set<String> keys = held.keys();
        List<String> owners = FleetRules.leastLoaded(keys.size(), counts);
        Map<String, Integer> given = new HashMap<>();
        int i = 0;
        for (String key : keys) {
            String to = owners.isEmpty() ? null : owners.get(i++);
            CompletableFuture<Boolean> w = to == null ? table.release(key, workerId)
                    : table.assign(key, workerId, to);
            writes.add(w.thenCompose(ok -> ok ? CompletableFuture.completedFuture(to)
                    : endHandoffFrom(key)).whenComplete((owner, e) -> {
                if (e != null) {
                    log.warn("Handing lease {} over failed; it moves when this worker is declared dead: {}", key,
                            Failures.describe(e));
                } else if (owner != null) {
                    synchronized (given) {
                        given.merge(owner, 1, Integer::sum);
                    }
                }
            }));
            held.remove(key);
        }
        CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null).join();
        log.info("Worker {} handed {} leases over: {}", workerId, keys.size(), owners.isEmpty() ? "released, no "
                + "live worker left" : given);
        List<CompletableFuture<?>> tells = new ArrayList<>();
        given.forEach((owner, n) -> tells.add(workers.assigned(owner, n)));
        stopHeartbeats();
        tells.add(workers.delete(workerId));
        CompletableFuture.allOf(tells.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null).join();
    }

    /**
     * A held lease that no longer names this worker as its owner at leave time: a peer took it with a handoff this
     * worker had not noticed yet (lookups stopped when the shutdown began); its processor has checkpointed, so the
     * handoff ends now. Completes with the worker to tell, or null.
     */
    private CompletableFuture<String> endHandoffFrom(String key) {
        return table.get(key).thenCompose(lease -> {
            if (lease.isEmpty() || !workerId.equals(lease.get().checkpointOwner())) {
                return CompletableFuture.completedFuture(null);
            }
            String next = lease.get().leaseOwner();
            return table.finishHandoff(key, workerId).thenApply(ok -> ok ? next : null);
        });
    }

    /** Stops every task at once, writing nothing more (a crash, as far as the fleet can tell). */
    public synchronized void halt() {
        stopTaking();
        stopHeartbeats();
    }

    private synchronized void stopHeartbeats() {
        if (heartbeatTask != null) {
            heartbeatTask.cancel(false);
        }
    }

    /** Leases held (including those waiting for a handoff or for their parents, and finished ones). */
    public Set<String> heldLeaseKeys() {
        return held.keys();
    }

    /**
     * This worker's processor of a lease it hands off has checkpointed: ends the handoff (the counter moves) and
     * tells the new owner, so it starts at once.
     */
    public CompletableFuture<Boolean> finishHandoff(String leaseKey) {
        String next = discovery.handoffTarget(leaseKey);
        return table.finishHandoff(leaseKey, workerId).thenCompose(ok -> {
            if (!ok || next == null) {
                return CompletableFuture.completedFuture(ok);
            }
            return workers.assigned(next, 0).thenApply(x -> true);
        }).whenComplete((ok, e) -> {
            if (e != null) {
                log.warn("Finishing the handoff of {} failed; the new owner takes it after its handoff timeout: {}",
                        leaseKey, Failures.describe(e));
            } else if (ok) {
                log.info("Worker {} finished handing off lease {} to {}", workerId, leaseKey, next);
            }
        });
    }

    /** The lease's shard was processed to its end: kept, not counted, its children may start. */
    public void completed(String leaseKey) {
        Held h = held.get(leaseKey);
        if (h != null) {
            h.state = HeldLeases.State.COMPLETED;
        }
        discovery.parentsMayBeDone();
    }

    /** The processor of a held lease stopped on a refused checkpoint: see {@link LeaseDiscovery#processingStopped}. */
    public void processingStopped(String leaseKey) {
        discovery.processingStopped(leaseKey);
    }

    /** A stream was added (multi-stream mode): if this worker leads, it reads the table at its next slot. */
    public void streamAdded() {
        leader.streamAdded();
    }

    /**
     * Gives up a held lease of a stream no longer read (after its processor checkpointed): released unowned, so no
     * worker processes it until the stream is read again (then the leader gives it out).
     */
    public CompletableFuture<Boolean> releaseRemoved(String leaseKey) {
        held.remove(leaseKey);
        // no longer ours: a peer took it with a handoff this worker had not noticed yet; its processor has
        // checkpointed, so the handoff ends now (the new owner, which reads the stream no more either, releases it)
        return table.release(leaseKey, workerId).thenCompose(ok -> ok ? CompletableFuture.completedFuture(true)
                : endHandoffFrom(leaseKey).thenApply(next -> false)).whenComplete((ok, e) -> {
                    if (e != null) {
                        log.warn("Worker {} could not release lease {} of a stream no longer read; it moves when "
                                + "this worker leaves or is declared dead: {}", workerId, leaseKey,
                                Failures.describe(e));
                    } else if (ok) {
                        log.info("Worker {} released lease {}: its stream is no longer read", workerId, leaseKey);
                    }
                });
    }

    /**
     * Whether a held lease waits for its previous owner to finish a handoff: on a stream's removal it is left to
     * that owner (whose processor checkpoints), and released once it starts.
     */
    public boolean isWaitingForHandoff(String leaseKey) {
        Held h = held.get(leaseKey);
        return h != null && h.state == HeldLeases.State.WAITING_HANDOFF;
    }

    /** Leases were just created for this worker (child shards): look them up. */
    public void leasesCreated() {
        discovery.request();
    }

    public String workerId() {
        return workerId;
    }

    /** Whether this worker does the leader's duties now (it is the lowest live id in its view). */
    public boolean isLeader() {
        return leader.isLeader();
    }

    /** Holds an active lease without a table read; for tests. */
    void holdForTest(Lease lease) {
        Held h = new Held(lease, HeldLeases.State.WAITING_PARENTS, time.millis());
        held.put(lease.leaseKey(), h);
        held.activate(h, time.millis());
    }

    /** One heartbeat tick; for tests. */
    void heartbeatForTest() {
        membership.tick();
    }

    /** One fleet poll; for tests. */
    void pollForTest() {
        monitor.poll();
    }

    /** One lookup of this worker's leases; for tests. */
    void lookUpForTest() {
        discovery.lookUp();
    }

    /** One tick of the handoff and parent waits; for tests. */
    void waitsForTest() {
        discovery.tick();
    }

    boolean isFencedForTest() {
        return membership.isFenced();
    }
}
