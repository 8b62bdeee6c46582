package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds this worker's leases: {@link LeaseRenewer} renews them every renewal interval, {@link LeaseTaker} scans the
 * table every scan interval and takes or steals leases. Tells its {@link Listener} when a lease may be processed,
 * is lost, or must be handed off. Runs on the consumer's lease threads (renewal and scan are separate tasks, so a
 * slow scan does not delay renewals), on the consumer's time.
 */
public final class LeaseCoordinator {

    private static final Logger log = LoggerFactory.getLogger(LeaseCoordinator.class);

    /**
     * Called on the lease threads, or on the thread that completed a renewal's answer; implementations must return
     * quickly.
     */
    public interface Listener {
        /** The lease is held and no handoff is pending: start processing it. */
        void leaseAcquired(Lease lease);

        /** The lease is gone: stop at once. */
        void leaseLost(String leaseKey);

        /** Another worker stole the lease with a handoff: finish gracefully, checkpoint, then finish the handoff. */
        void handoffRequested(String leaseKey);
    }

    private final LeaseTable table;
    private final String workerId;
    private final Duration failoverTime;
    private final Duration renewalInterval;
    private final Duration scanInterval;
    private final ConsumerContext context;
    private final ScheduledExecutorService scheduler;
    private final HeldLeases held;
    private final LeaseRenewer renewer;
    private final LeaseTaker taker;
    private ScheduledFuture<?> renewTask;
    private ScheduledFuture<?> scanTask;

    /** Takes its settings, metrics, time, random source and scheduler (the lease threads) from {@code context}. */
    public LeaseCoordinator(LeaseTable table, ConsumerContext context, Listener listener) {
        ConsumerConfig config = context.config();
        this.table = table;
        this.workerId = context.workerId();
        this.failoverTime = config.failoverTime();
        this.renewalInterval = config.leaseRenewalInterval();
        this.scanInterval = config.leaseScanInterval();
        this.context = context;
        this.scheduler = context.leaseScheduler();
        this.held = new HeldLeases(table, workerId, context.metrics(), listener);
        this.renewer = new LeaseRenewer(table, held, workerId, failoverTime, renewalInterval, context.time(),
                reporter(), reporter());
        this.taker = new LeaseTaker(table, held, workerId, failoverTime, config.maxLeasesToStealAtOneTime(),
                context.metrics(), context.time(), context.random(), reporter());
    }

    private FailureReporter reporter() {
        return new FailureReporter(log, context.metrics(), context.time());
    }

    /** Starts renewing and scanning; the first scan runs at once. */
    public synchronized void start() {
        renewTask = scheduler.scheduleWithFixedDelay(renewer::cycle, renewalInterval.toMillis(),
                renewalInterval.toMillis(), TimeUnit.MILLISECONDS);
        scanTask = scheduler.scheduleWithFixedDelay(taker::cycle, 0, scanInterval.toMillis(),
                TimeUnit.MILLISECONDS);
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
        return held.keys();
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

    /** Adds an active held lease without a table write; for tests. */
    void holdForTest(Lease lease) {
        Held h = new Held(lease, context.time().millis());
        h.active = true;
        held.put(lease.leaseKey(), h);
    }

    /** One renewal of every held lease, as {@link LeaseRenewer#renewAll}; package-private for tests. */
    void renewAll() {
        renewer.renewAll();
    }

    /** One scan, as {@link LeaseTaker#scanAndTake}; package-private for tests. */
    void scanAndTake() {
        taker.scanAndTake();
    }
}
