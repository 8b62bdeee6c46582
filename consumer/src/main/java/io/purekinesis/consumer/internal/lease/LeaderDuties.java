package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * What only the leader does (the live worker with the lowest id in its own view; no election: two leaders for a
 * moment only repeat conditional writes). Every shard-sync interval it lists the shards and creates the missing
 * leases, each already owned by the least loaded live worker; every full-scan interval (and at once when it becomes
 * leader) it reads the whole lease table to report unusable rows, give away rows no live worker owns (unowned,
 * or owned by a worker with no row or an evicted one: KCL workers after a migration, rows edited by hand), and
 * delete finished leases. The other workers never list shards or read the whole table.
 */
final class LeaderDuties {

    private static final Logger log = LoggerFactory.getLogger(LeaderDuties.class);

    private final LeaseTable table;
    private final ShardSyncer syncer;
    private final Workers workers;
    private final FleetMonitor monitor;
    private final String workerId;
    private final Time time;
    private final long syncMillis;
    private final long fullScanMillis;
    private final UnusableRows unusableRows;
    private final Executor executor;
    private final FailureReporter failures;
    private final Consumer<String> dropUnusable;
    private final AtomicBoolean running = new AtomicBoolean();
    /** Lease keys of the last full read of the table, and those written since; one duty at a time touches it. */
    private final Set<String> knownKeys = new HashSet<>();
    /** Streams whose rows were reported as not read now / as a former stream's; the full scan's thread only. */
    private final Set<StreamKey> reportedUntracked = new HashSet<>();
    private final Set<StreamKey> reportedFormer = new HashSet<>();
    private volatile boolean leader;
    private volatile long nextFullScanMillis;
    private volatile long nextSyncMillis;
    private volatile boolean nextScanConsistent = true;
    /** The last shard sync saw closed shards with leases: the next one reads the table, to delete finished ones. */
    private volatile boolean closedShardsHaveLeases;

    /**
     * @param dropUnusable drops a lease this worker holds whose row became unusable (edited by hand, another
     *                     stream's): its processing stops, and the row is left alone; null: every lease (the table
     *                     is gone)
     */
    LeaderDuties(LeaseTable table, ShardSyncer syncer, Workers workers, FleetMonitor monitor, String workerId,
            Time time, Duration shardSyncInterval, Duration fullScanInterval, ConsumerMetrics metrics,
            Executor executor, FailureReporter failures, Consumer<String> dropUnusable) {
        this.dropUnusable = dropUnusable;
        this.table = table;
        this.syncer = syncer;
        this.workers = workers;
        this.monitor = monitor;
        this.workerId = workerId;
        this.time = time;
        this.syncMillis = shardSyncInterval.toMillis();
        this.fullScanMillis = fullScanInterval.toMillis();
        this.unusableRows = new UnusableRows(table.tableName(), metrics);
        this.executor = executor;
        this.failures = failures;
    }

    boolean isLeader() {
        return leader;
    }

    /** Each monitor slot: runs what is due if this worker leads in its view (in the background). */
    void tick() {
        boolean leads = workerId.equals(FleetRules.leader(monitor.liveIds()));
        if (!leads) {
            if (leader) {
                log.info("Worker {} no longer leads the fleet", workerId);
            }
            leader = false;
            return;
        }
        long now = time.millis();
        if (!leader) {
            log.info("Worker {} leads the fleet: it syncs shards and reads the whole lease table", workerId);
            leader = true;
            if (nextFullScanMillis == 0 || !nextScanConsistent) {
                nextFullScanMillis = now; // new leader: read the table once, consistently, now
                nextScanConsistent = true;
            }
        }
        if (now < nextFullScanMillis && now < nextSyncMillis) {
            return;
        }
        if (!running.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    runDue();
                    failures.recovered();
                } catch (RuntimeException e) {
                    failures.report("Leader duties of worker " + workerId, "retrying at the next monitor slot", e);
                    if (Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                        // the lease table is gone (deleted by hand): no lease exists any more; it is not re-created
                        // behind the user's back
                        dropUnusable.accept(null);
                    }
                } finally {
                    running.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            running.set(false);
        }
    }

    private void runDue() {
        long now = time.millis();
        if (now >= nextFullScanMillis || closedShardsHaveLeases) {
            // a full read: due, or closed shards have leases that may be finished and deletable (a reshard)
            boolean consistent = nextScanConsistent;
            long nextFull = nextFullScanMillis;
            fullScan(table.scan(consistent).join());
            if (now < nextFull) {
                nextFullScanMillis = nextFull; // a reshard's extra read does not move the regular one
            }
            nextScanConsistent = false;
            closedShardsHaveLeases = false;
        } else {
            Map<String, Integer> counts = monitor.counts();
            ShardSyncer.KnownSync sync;
            synchronized (knownKeys) {
                sync = syncer.syncKnown(knownKeys, placement(counts));
            }
            tellOwners(sync.created());
            closedShardsHaveLeases = sync.closedShardsHaveLeases();
            nextSyncMillis = time.millis() + syncMillis;
        }
    }

    /**
     * A full read of the table (at start-up by the worker that leads then, with the start-up check's scan): reports
     * unusable rows, gives away rows no live worker owns, syncs shards.
     *
     * @return how many leases were created
     */
    int fullScan(LeaseScan scan) {
        unusableRows.report(scan.problems());
        reportOtherStreams(scan);
        scan.unusableKeys().forEach(dropUnusable);
        Map<String, Integer> counts = monitor.counts();
        Map<String, Optional<WorkerRow>> owners = new HashMap<>();
        Map<String, Integer> given = new HashMap<>();
        for (Lease l : scan.leases()) {
            if (l.isCompleted()) {
                continue; // it gates its children only; shard sync deletes it once they have leases
            }
            String owner = l.leaseOwner();
            if (owner != null && counts.containsKey(owner)) {
                continue;
            }
            if (owner != null) {
                Optional<WorkerRow> row = owners.computeIfAbsent(owner, o -> workers.get(o).join());
                if (row.isPresent() && !row.get().isEvicted()) {
                    continue; // alive, or not yet declared dead: the monitor decides
                }
            }
            String to = FleetRules.leastLoaded(1, counts).get(0);
            if (table.assign(l.leaseKey(), owner, to).join()) {
                log.info("Lease {} had {}; given to {}", l.leaseKey(), owner == null ? "no owner"
                        : "owner " + owner + ", which is not a live worker of this fleet", to);
                given.merge(to, 1, Integer::sum);
            }
        }
        monitor.tellAssigned(given);
        Set<String> known = new HashSet<>();
        List<Lease> created = syncer.sync(scan, placement(counts), known, this::stillLeads);
        synchronized (knownKeys) {
            knownKeys.clear();
            knownKeys.addAll(known);
        }
        tellOwners(created);
        long now = time.millis();
        nextFullScanMillis = now + fullScanMillis;
        nextSyncMillis = now + syncMillis;
        return created.size();
    }

    /**
     * Whether this worker still leads on a fresh read of the worker rows: asked when leases it creates turn out to
     * exist already (at start-up, a worker that joined before the lower ids did found itself leading).
     */
    private boolean stillLeads() {
        monitor.view(workers.all().join());
        return workerId.equals(FleetRules.leader(monitor.liveIds()));
    }

    /**
     * A stream was added (multi-stream mode): the next monitor slot reads the whole table, so the new stream's rows
     * left unowned when it was removed before are given out, and its missing leases created.
     */
    void streamAdded() {
        nextFullScanMillis = 0;
    }

    /**
     * Multi-stream mode: says once per stream, not at every full read, that rows of streams not read now are left
     * alone (INFO), and that rows of a former stream are never resumed (WARN).
     */
    private void reportOtherStreams(LeaseScan scan) {
        Map<StreamKey, Integer> untracked = countByStream(scan.untrackedKeys());
        Map<StreamKey, Integer> former = countByStream(scan.formerKeys());
        untracked.forEach((k, n) -> {
            if (reportedUntracked.add(k)) {
                log.info("Lease table {}: {} rows of stream {} (keys {}:...), which this application does not read "
                        + "now: left alone, not assigned; they resume from their checkpoints if the stream is read "
                        + "again", table.tableName(), n, k.streamName(), k);
            }
        });
        former.forEach((k, n) -> {
            if (reportedFormer.add(k)) {
                log.warn("Lease table {}: {} rows of a former stream {} created at epoch second {} (keys {}:...): a "
                        + "stream of that name read now was created at another time (deleted and created again), "
                        + "so these checkpoints are about records that are gone and are never resumed; the new "
                        + "stream starts at the initialPosition. Delete the rows with key prefix {}: when you no "
                        + "longer need them", table.tableName(), n, k.streamName(), k.creationEpoch(), k, k);
            }
        });
        reportedUntracked.retainAll(untracked.keySet());
        reportedFormer.retainAll(former.keySet());
    }

    private static Map<StreamKey, Integer> countByStream(List<String> keys) {
        Map<StreamKey, Integer> out = new HashMap<>();
        for (String key : keys) {
            StreamKey k = StreamKey.ofLeaseKey(key);
            if (k != null) {
                out.merge(k, 1, Integer::sum);
            }
        }
        return out;
    }

    /** Marks the start-up scan as this leader's first full read. */
    void ledAtStart() {
        leader = true;
        nextScanConsistent = false;
    }

    private static Supplier<String> placement(Map<String, Integer> counts) {
        return () -> FleetRules.leastLoaded(1, counts).get(0);
    }

    private void tellOwners(List<Lease> created) {
        Map<String, Integer> given = new HashMap<>();
        created.forEach(l -> given.merge(l.leaseOwner(), 1, Integer::sum));
        monitor.tellAssigned(given);
    }
}
