package io.purekinesis.consumer.internal.lease;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory worker table with DynamoDB's conditional semantics, for unit tests; {@link #failHeartbeats} makes
 * heartbeats fail (as when DynamoDB cannot be reached), per instance.
 */
public final class FakeWorkers implements Workers {

    private final Map<String, WorkerRow> rows = new TreeMap<>();
    /** Every write, as "operation worker". */
    public final List<String> writes = new CopyOnWriteArrayList<>();
    public volatile boolean failHeartbeats;
    /** Reads of every row ({@link #all}): the fleet's polls. */
    public final java.util.concurrent.atomic.AtomicInteger allReads = new java.util.concurrent.atomic.AtomicInteger();

    public synchronized Optional<WorkerRow> row(String workerId) {
        return Optional.ofNullable(rows.get(workerId));
    }

    /** Puts a row as another worker would have written it. */
    public synchronized void put(WorkerRow row) {
        rows.put(row.workerId(), row);
    }

    @Override
    public synchronized CompletableFuture<WorkerRow> heartbeat(String workerId, long wallMillis, int leaseCount,
            boolean leaving, Set<String> handoffsDone) {
        if (failHeartbeats) {
            return CompletableFuture.failedFuture(new java.io.UncheckedIOException(
                    new java.io.IOException("heartbeat blocked by the test")));
        }
        writes.add("heartbeat " + workerId);
        WorkerRow old = rows.get(workerId);
        Set<String> handoffs = new TreeSet<>(old == null ? Set.of() : old.handoffs());
        handoffs.removeAll(handoffsDone);
        WorkerRow row = new WorkerRow(workerId, wallMillis, old == null ? 1 : old.beats() + 1, leaseCount,
                old == null ? 0 : old.assignVersion(), leaving, old == null ? null : old.evictedAt(), handoffs);
        rows.put(workerId, row);
        return CompletableFuture.completedFuture(row);
    }

    @Override
    public synchronized CompletableFuture<Boolean> rejoin(String workerId, long evictedAt) {
        WorkerRow r = rows.get(workerId);
        if (r == null || r.evictedAt() == null || r.evictedAt() != evictedAt) {
            return CompletableFuture.completedFuture(false);
        }
        writes.add("rejoin " + workerId);
        rows.put(workerId, new WorkerRow(workerId, r.beatAtMillis(), r.beats(), r.leaseCount(), r.assignVersion(),
                r.leaving(), null, r.handoffs()));
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public synchronized CompletableFuture<List<WorkerRow>> all() {
        allReads.incrementAndGet();
        return CompletableFuture.completedFuture(new ArrayList<>(rows.values()));
    }

    @Override
    public synchronized CompletableFuture<Optional<WorkerRow>> get(String workerId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(rows.get(workerId)));
    }

    @Override
    public synchronized CompletableFuture<Boolean> evict(String workerId, long seenBeats, long wallMillis) {
        WorkerRow r = rows.get(workerId);
        if (r == null || r.beats() != seenBeats || r.isEvicted()) {
            return CompletableFuture.completedFuture(false);
        }
        writes.add("evict " + workerId);
        rows.put(workerId, new WorkerRow(workerId, r.beatAtMillis(), r.beats(), r.leaseCount(), r.assignVersion(),
                r.leaving(), wallMillis, r.handoffs()));
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public synchronized CompletableFuture<Boolean> assigned(String workerId, int leaseDelta) {
        WorkerRow r = rows.get(workerId);
        if (r == null) {
            return CompletableFuture.completedFuture(false);
        }
        writes.add("assigned " + workerId + " " + leaseDelta);
        rows.put(workerId, new WorkerRow(workerId, r.beatAtMillis(), r.beats(), r.leaseCount() + leaseDelta,
                r.assignVersion() + 1, r.leaving(), r.evictedAt(), r.handoffs()));
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public synchronized CompletableFuture<Boolean> handedOff(String workerId, Set<String> leaseKeys) {
        WorkerRow r = rows.get(workerId);
        if (r == null) {
            return CompletableFuture.completedFuture(false);
        }
        writes.add("handedOff " + workerId + " " + new TreeSet<>(leaseKeys));
        Set<String> handoffs = new TreeSet<>(r.handoffs());
        handoffs.addAll(leaseKeys);
        rows.put(workerId, new WorkerRow(workerId, r.beatAtMillis(), r.beats(), r.leaseCount() - leaseKeys.size(),
                r.assignVersion() + 1, r.leaving(), r.evictedAt(), handoffs));
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public synchronized CompletableFuture<Boolean> drained(String workerId, long evictedAt) {
        WorkerRow r = rows.get(workerId);
        if (r == null || r.evictedAt() == null || r.evictedAt() != evictedAt) {
            return CompletableFuture.completedFuture(false);
        }
        rows.put(workerId, new WorkerRow(workerId, r.beatAtMillis(), r.beats(), 0, r.assignVersion(), r.leaving(),
                r.evictedAt(), r.handoffs()));
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public synchronized CompletableFuture<Boolean> delete(String workerId) {
        writes.add("delete " + workerId);
        rows.remove(workerId);
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public synchronized CompletableFuture<Boolean> deleteEvicted(String workerId, long evictedAt) {
        WorkerRow r = rows.get(workerId);
        if (r == null || r.evictedAt() == null || r.evictedAt() != evictedAt) {
            return CompletableFuture.completedFuture(false);
        }
        rows.remove(workerId);
        return CompletableFuture.completedFuture(true);
    }
}
