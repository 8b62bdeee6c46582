package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects one stream's entries into PutRecords calls of at most {@code collectionMaxCount} entries and
 * {@code collectionMaxSize} bytes (data plus partition keys; a larger single entry goes alone). Calls are built
 * ({@link CallBuilder}) when a full call's worth is queued, when the oldest entry's buffered time is reached, or on
 * flush.
 *
 * <p>Per shard a {@link ShardQueue} keeps fresh entries (in seal order) and retries, a rate limiter, and how many
 * calls carrying the shard's entries are in flight: at most one, so a shard's entries are stored in the order they
 * were queued unless a retry intervenes. A throttled or busy shard is skipped without stalling the others. All
 * state is guarded by one short-held lock; no I/O happens under it.
 *
 * <p>Reshards ({@link #closeShards}): a closed shard's queued entries are handed back for re-routing and it takes
 * no new ones; its retries and wrong-shard answers hold it ({@link #hold}) until re-routed to the front of the new
 * shards ({@link #pushFront}); a new shard waits while an overlapping closed parent has a call in flight or holds.
 */
public final class StreamCollector {

    private final int maxCount;
    private final long maxSize;
    private final boolean wakeOnFirstEntry;
    private final CallBuilder callBuilder;
    private final ReentrantLock lock = new ReentrantLock();
    private final ShardQueues queues;
    private final ShardQueue.Totals totals;
    private boolean flushPending;
    private boolean aborted;
    /** Retries of calls to closed shards, for the pipeline to re-route (each holds its shard). */
    private final List<KinesisEntry> orphans = new ArrayList<>(0);
    private volatile boolean hasOrphans;

    /** What one {@link #drain} produced. */
    public static final class Drained {
        public final List<PutBatch> batches = new ArrayList<>(2);
        public final List<KinesisEntry> expired = new ArrayList<>(0);
        public final List<String> throttledShards = new ArrayList<>(0);
        /** When this collector next needs attention without being signalled; Long.MAX_VALUE for never. */
        public long nextWakeMillis = Long.MAX_VALUE;
    }

    /**
     * @param wakeOnFirstEntry whether a first queued entry (a new deadline) asks to wake the sender
     * @param routing the stream's receiver of what answers say about routing, carried by every batch
     */
    public StreamCollector(String stream, int maxCount, long maxSize, int ratePercent, boolean strictOrdering,
            boolean wakeOnFirstEntry, RoutingFeedback routing) {
        this.maxCount = maxCount;
        this.maxSize = maxSize;
        this.queues = new ShardQueues(ratePercent);
        this.totals = queues.totals;
        this.wakeOnFirstEntry = wakeOnFirstEntry;
        this.callBuilder = new CallBuilder(stream, maxCount, maxSize, strictOrdering, this, routing);
    }

    /**
     * Queues a new entry behind the shard's earlier ones.
     *
     * @return true when the sender should wake: a full call's worth is queued, or the first entry (a new deadline;
     *     if so configured)
     */
    public boolean enqueue(KinesisEntry entry) {
        lock.lock();
        try {
            ShardQueue q = queues.get(entry.shardId());
            q.addFresh(entry);
            return wakeAfterAdd(q, entry);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #enqueue}, unless the entry's shard is closed ({@link #closeShards}): then
     * {@link Offered#SHARD_CLOSED} and the caller predicts the record again with the newer shard map.
     */
    public Offered offer(KinesisEntry entry) {
        lock.lock();
        try {
            ShardQueue q = queues.get(entry.shardId());
            if (q.closed) {
                return Offered.SHARD_CLOSED;
            }
            q.addFresh(entry);
            return wakeAfterAdd(q, entry) ? Offered.WAKE : Offered.QUIET;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A ready entry wakes the sender when the stream's ready entries reach what an early call needs
     * ({@link CallBuilder#readyBytesToSend}), if its shard may send now: the entry that crosses it, or a shard's
     * first one past it. Later ones go with it, and a busy shard's end of call wakes the sender (each wake-up costs a
     * pass over every shard, which decides exactly).
     */
    private boolean wakeAfterAdd(ShardQueue q, KinesisEntry entry) {
        return (totals.freshCount == 1 && wakeOnFirstEntry) || totals.freshCount >= maxCount
                || totals.freshBytes >= maxSize || (entry.ready() && !q.mustWait() && readyReached(q, entry));
    }

    private boolean readyReached(ShardQueue q, KinesisEntry entry) {
        long threshold = callBuilder.readyBytesToSend();
        return totals.readyBytes >= threshold
                && (totals.readyBytes - entry.sizeBytes() < threshold || q.ready == 1);
    }

    /**
     * A reshard: marks {@code closed} shards closed and removes everything queued for them (per shard: retries,
     * then fresh entries, i.e. oldest first). Each new shard of {@code parentsOf} (child id to the closed shards
     * whose ranges overlap it) that has a parent with a call in flight or an answer not yet re-routed waits for
     * it: the parent's records go first.
     */
    public List<KinesisEntry> closeShards(Collection<String> closed, Map<String, List<String>> parentsOf) {
        lock.lock();
        try {
            return queues.close(closed, parentsOf);
        } finally {
            lock.unlock();
        }
    }

    /** An answer of {@code shardId}'s call must be re-routed first: the shard (and its children) wait. */
    public void hold(String shardId) {
        lock.lock();
        try {
            queues.get(shardId).holds++;
        } finally {
            lock.unlock();
        }
    }

    /** Retries of calls to closed shards since the last call; each holds its shard until {@link #pushFront}. */
    public List<KinesisEntry> takeOrphans() {
        if (!hasOrphans) {
            return List.of();
        }
        lock.lock();
        try {
            List<KinesisEntry> out = new ArrayList<>(orphans);
            orphans.clear();
            hasOrphans = false;
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts re-routed entries at the very front of their shards (ahead of anything queued, due at once), in list
     * order, then releases one hold of each of {@code released}.
     *
     * @return false when the collector was aborted by close: the caller must fail {@code entries} itself
     */
    public boolean pushFront(List<KinesisEntry> entries, List<String> released) {
        lock.lock();
        try {
            for (String id : released) {
                ShardQueue q = queues.find(id);
                if (q != null && q.holds > 0) {
                    q.holds--;
                }
            }
            if (aborted) {
                return entries.isEmpty();
            }
            for (int i = entries.size() - 1; i >= 0; i--) {
                KinesisEntry e = entries.get(i);
                e.notBeforeMillis(0);
                queues.get(e.shardId()).retries.addFirst(e);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Marks everything queued now as due, whatever its buffered time. */
    public void flush() {
        lock.lock();
        try {
            flushPending = totals.freshCount > 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends a call: queues its retries first (each after its backoff, {@link KinesisEntry#notBeforeMillis()}),
     * then frees its shards, so under strict ordering nothing overtakes a failed entry.
     *
     * @return false when the collector was aborted by close: the caller must fail {@code retries} itself
     */
    public boolean complete(PutBatch batch, List<KinesisEntry> retries) {
        lock.lock();
        try {
            for (ShardQueue q : batch.shards) {
                q.inFlight--;
            }
            if (aborted) {
                return retries.isEmpty();
            }
            for (KinesisEntry e : retries) {
                ShardQueue q = queues.get(e.shardId());
                if (q.closed) {
                    // Sent with an older map: re-routed with the current one, ahead of the shard's children.
                    q.holds++;
                    orphans.add(e);
                    hasOrphans = true;
                } else {
                    q.retries.addLast(e);
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Builds up to {@code maxBatches} calls from what is due, taking rate-limiter tokens for what it takes, and
     * removes entries past their TTL (returned in {@link Drained#expired}).
     */
    public Drained drain(long nowMillis, int maxBatches) {
        Drained out = new Drained();
        lock.lock();
        try {
            if (queues.list.isEmpty()) {
                return out;
            }
            callBuilder.drain(queues.list, totals, flushPending, nowMillis, maxBatches, out);
            if (totals.freshCount == 0) {
                flushPending = false;
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Stops accepting retries and removes every queued entry (for close). */
    public List<KinesisEntry> abort() {
        lock.lock();
        try {
            aborted = true;
            List<KinesisEntry> all = new ArrayList<>(orphans);
            orphans.clear();
            hasOrphans = false;
            all.addAll(queues.takeAll());
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** Entries ever queued as fresh: changes whenever the stream is used. */
    public long queuedTotal() {
        lock.lock();
        try {
            return totals.everQueued;
        } finally {
            lock.unlock();
        }
    }

    /** Nothing queued, in flight, held or waiting to be re-routed. */
    public boolean isIdle() {
        lock.lock();
        try {
            return orphans.isEmpty() && queues.isIdle();
        } finally {
            lock.unlock();
        }
    }

    /** Entries queued (fresh and retries), not counting those in flight. */
    public int queuedEntries() {
        lock.lock();
        try {
            return queues.queuedEntries();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the queues (and rate limiters) of shards not in {@code openShardIds} that are idle: nothing queued,
     * nothing in flight. A later entry for such a shard simply gets a new queue.
     */
    public void dropIdleShards(Set<String> openShardIds) {
        lock.lock();
        try {
            queues.dropIdle(openShardIds);
        } finally {
            lock.unlock();
        }
    }

    /** The shards that have a queue now ("" for entries without a predicted shard); for tests and diagnostics. */
    public Set<String> shardIds() {
        lock.lock();
        try {
            return queues.shardIds();
        } finally {
            lock.unlock();
        }
    }
}
