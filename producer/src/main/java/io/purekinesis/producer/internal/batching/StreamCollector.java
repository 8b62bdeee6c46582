package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.ratelimit.ShardRateLimiter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects one stream's entries into PutRecords calls of at most {@code collectionMaxCount} entries and
 * {@code collectionMaxSize} bytes (data plus partition keys; a larger single entry goes alone). Calls are built
 * when a full call's worth is queued, when the oldest entry's buffered time is reached, or on flush.
 *
 * <p>Per shard it keeps fresh entries (in seal order) and retries (taken first once their backoff passed), a
 * rate limiter, and how many calls carrying the shard's entries are in flight: at most one, so a shard's entries
 * are stored in the order they were queued unless a retry intervenes. With strict ordering a shard with a waiting
 * retry sends nothing else, and a call carries at most one entry per shard. A throttled or busy shard is skipped
 * without stalling the others. All state is guarded by one short-held lock; no I/O happens under it.
 *
 * <p>Reshards ({@link #closeShards}): a closed shard's queued entries are handed back for re-routing and it takes
 * no new ones; its retries and wrong-shard answers hold it ({@link #hold}) until re-routed to the front of the new
 * shards ({@link #pushFront}); a new shard waits while an overlapping closed parent has a call in flight or holds.
 */
public final class StreamCollector {

    private final String stream;
    private final int maxCount;
    private final long maxSize;
    private final int ratePercent;
    private final boolean strictOrdering;
    private final boolean wakeOnFirstEntry;
    private final RoutingFeedback routing;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, ShardQueue> byShard = new HashMap<>();
    private final List<ShardQueue> shards = new ArrayList<>();
    private int freshCount;
    private long freshBytes;
    /** Entries ever queued (fresh, retries, re-routed): a cheap sign of activity for idle detection. */
    private long queuedTotal;
    private int roundRobin;
    private boolean flushPending;
    private boolean aborted;
    /** Shards that left the shard map (a queue made for one later starts closed). */
    private final Set<String> closedShards = new HashSet<>();
    /** Retries of calls to closed shards, for the pipeline to re-route (each holds its shard). */
    private final List<KinesisEntry> orphans = new ArrayList<>(0);
    private volatile boolean hasOrphans;

    static final class ShardQueue {
        final String shardId;
        final ArrayDeque<KinesisEntry> fresh = new ArrayDeque<>();
        final ArrayDeque<KinesisEntry> retries = new ArrayDeque<>();
        final ShardRateLimiter limiter;
        int inFlight;
        /**
         * Answers of this shard's calls not yet re-routed (an aggregate stored on another shard, or retries of a
         * closed shard): the shard and the children waiting for it send nothing until they are.
         */
        int holds;
        /** The shard left the shard map: its entries were re-routed, new ones are refused. */
        boolean closed;
        /** Closed parent shards whose calls must end (and be re-routed) before this shard sends; null for none. */
        List<ShardQueue> parents;

        ShardQueue(String shardId, ShardRateLimiter limiter) {
            this.shardId = shardId;
            this.limiter = limiter;
        }
    }

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
        this.wakeOnFirstEntry = wakeOnFirstEntry;
        this.routing = routing;
        this.stream = stream;
        this.maxCount = maxCount;
        this.maxSize = maxSize;
        this.ratePercent = ratePercent;
        this.strictOrdering = strictOrdering;
    }

    public String stream() {
        return stream;
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
            ShardQueue q = queue(entry.shardId());
            q.fresh.addLast(entry);
            freshCount++;
            freshBytes += entry.sizeBytes();
            queuedTotal++;
            return (freshCount == 1 && wakeOnFirstEntry) || freshCount >= maxCount || freshBytes >= maxSize;
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
            ShardQueue q = queue(entry.shardId());
            if (q.closed) {
                return Offered.SHARD_CLOSED;
            }
            q.fresh.addLast(entry);
            freshCount++;
            freshBytes += entry.sizeBytes();
            queuedTotal++;
            return (freshCount == 1 && wakeOnFirstEntry) || freshCount >= maxCount || freshBytes >= maxSize
                    ? Offered.WAKE : Offered.QUIET;
        } finally {
            lock.unlock();
        }
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
            List<KinesisEntry> out = new ArrayList<>();
            for (String id : closed) {
                closedShards.add(id);
                ShardQueue q = byShard.get(id);
                if (q == null) {
                    continue;
                }
                q.closed = true;
                out.addAll(q.retries);
                q.retries.clear();
                for (KinesisEntry e : q.fresh) {
                    freshCount--;
                    freshBytes -= e.sizeBytes();
                    out.add(e);
                }
                q.fresh.clear();
            }
            for (Map.Entry<String, List<String>> child : parentsOf.entrySet()) {
                List<ShardQueue> waitFor = new ArrayList<>(2);
                for (String parentId : child.getValue()) {
                    ShardQueue p = byShard.get(parentId);
                    if (p == null) {
                        continue;
                    }
                    if (p.inFlight > 0 || p.holds > 0) {
                        waitFor.add(p);
                    }
                    if (p.parents != null) {
                        waitFor.addAll(p.parents); // a parent still waiting for its own parents
                    }
                }
                if (!waitFor.isEmpty()) {
                    ShardQueue c = queue(child.getKey());
                    if (c.parents != null) {
                        waitFor.addAll(c.parents);
                    }
                    c.parents = waitFor;
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** An answer of {@code shardId}'s call must be re-routed first: the shard (and its children) wait. */
    public void hold(String shardId) {
        lock.lock();
        try {
            queue(shardId).holds++;
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
                ShardQueue q = byShard.get(id == null ? "" : id);
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
                queue(e.shardId()).retries.addFirst(e);
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
            flushPending = freshCount > 0;
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
                ShardQueue q = queue(e.shardId());
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
            if (shards.isEmpty()) {
                return out;
            }
            boolean due = flushPending;
            for (ShardQueue q : shards) {
                KinesisEntry head = q.fresh.peekFirst();
                if (head != null) {
                    if (head.sendDeadlineMillis() <= nowMillis) {
                        due = true;
                    } else {
                        out.nextWakeMillis = Math.min(out.nextWakeMillis, head.sendDeadlineMillis());
                    }
                }
                KinesisEntry retry = q.retries.peekFirst();
                while (retry != null && retry.expiryMillis() <= nowMillis) {
                    out.expired.add(q.retries.pollFirst());
                    retry = q.retries.peekFirst();
                }
                if (retry != null) {
                    if (retry.notBeforeMillis() <= nowMillis) {
                        due = true;
                    } else {
                        out.nextWakeMillis = Math.min(out.nextWakeMillis,
                                Math.min(retry.notBeforeMillis(), retry.expiryMillis()));
                    }
                }
            }
            while (out.batches.size() < maxBatches && (due || freshCount >= maxCount || freshBytes >= maxSize)) {
                PutBatch batch = buildBatch(nowMillis, out);
                if (batch == null) {
                    break;
                }
                out.batches.add(batch);
            }
            if (freshCount == 0) {
                flushPending = false;
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    private PutBatch buildBatch(long nowMillis, Drained out) {
        List<KinesisEntry> entries = new ArrayList<>(Math.min(maxCount, freshCount + 8));
        List<ShardQueue> touched = new ArrayList<>(4);
        long bytes = 0;
        int n = shards.size();
        int start = roundRobin++ % n;
        boolean full = false;
        for (int i = 0; i < n && !full; i++) {
            ShardQueue q = shards.get((start + i) % n);
            if (q.inFlight > 0 || q.holds > 0 || (q.parents != null && waitsForParents(q))) {
                continue;
            }
            boolean took = false;
            while (true) {
                KinesisEntry e;
                boolean fromRetries;
                KinesisEntry retry = q.retries.peekFirst();
                if (retry != null && retry.notBeforeMillis() <= nowMillis) {
                    e = retry;
                    fromRetries = true;
                } else if (retry != null && strictOrdering) {
                    break; // hold the shard back until its failed entry has gone again
                } else {
                    e = q.fresh.peekFirst();
                    fromRetries = false;
                }
                if (e == null) {
                    break;
                }
                if (nowMillis >= e.expiryMillis()) {
                    removeHead(q, fromRetries);
                    out.expired.add(e);
                    continue;
                }
                if (entries.size() >= maxCount || (!entries.isEmpty() && bytes + e.sizeBytes() > maxSize)) {
                    full = true;
                    break;
                }
                if (!q.limiter.tryAcquire(e.sizeBytes(), nowMillis)) {
                    out.throttledShards.add(q.shardId);
                    out.nextWakeMillis = Math.min(out.nextWakeMillis,
                            nowMillis + Math.max(1, q.limiter.millisUntilAvailable(e.sizeBytes(), nowMillis)));
                    break;
                }
                removeHead(q, fromRetries);
                entries.add(e);
                bytes += e.sizeBytes();
                took = true;
                if (strictOrdering) {
                    break;
                }
            }
            if (took) {
                q.inFlight++;
                touched.add(q);
            }
        }
        return entries.isEmpty() ? null : new PutBatch(stream, entries, bytes, touched, this, routing);
    }

    private static boolean waitsForParents(ShardQueue q) {
        for (ShardQueue p : q.parents) {
            if (p.inFlight > 0 || p.holds > 0) {
                return true;
            }
        }
        q.parents = null;
        return false;
    }

    private void removeHead(ShardQueue q, boolean fromRetries) {
        if (fromRetries) {
            q.retries.pollFirst();
        } else {
            KinesisEntry e = q.fresh.pollFirst();
            freshCount--;
            freshBytes -= e.sizeBytes();
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
            for (ShardQueue q : shards) {
                all.addAll(q.retries);
                all.addAll(q.fresh);
                q.retries.clear();
                q.fresh.clear();
            }
            freshCount = 0;
            freshBytes = 0;
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** Entries ever queued as fresh: changes whenever the stream is used. */
    public long queuedTotal() {
        lock.lock();
        try {
            return queuedTotal;
        } finally {
            lock.unlock();
        }
    }

    /** Nothing queued, in flight, held or waiting to be re-routed. */
    public boolean isIdle() {
        lock.lock();
        try {
            if (freshCount > 0 || !orphans.isEmpty()) {
                return false;
            }
            for (ShardQueue q : shards) {
                if (q.inFlight > 0 || q.holds > 0 || !q.retries.isEmpty()) {
                    return false;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Entries queued (fresh and retries), not counting those in flight. */
    public int queuedEntries() {
        lock.lock();
        try {
            int n = 0;
            for (ShardQueue q : shards) {
                n += q.fresh.size() + q.retries.size();
            }
            return n;
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
            for (Iterator<ShardQueue> it = shards.iterator(); it.hasNext(); ) {
                ShardQueue q = it.next();
                if (!q.shardId.isEmpty() && !openShardIds.contains(q.shardId) && q.inFlight == 0
                        && q.holds == 0 && q.fresh.isEmpty() && q.retries.isEmpty()) {
                    it.remove();
                    byShard.remove(q.shardId);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The shards that have a queue now ("" for entries without a predicted shard); for tests and diagnostics. */
    public Set<String> shardIds() {
        lock.lock();
        try {
            return Set.copyOf(byShard.keySet());
        } finally {
            lock.unlock();
        }
    }

    private ShardQueue queue(String shardId) {
        String key = shardId == null ? "" : shardId;
        ShardQueue q = byShard.get(key);
        if (q == null) {
            q = new ShardQueue(key, new ShardRateLimiter(ratePercent, 0));
            q.closed = !closedShards.isEmpty() && closedShards.contains(key);
            byShard.put(key, q);
            shards.add(q);
        }
        return q;
    }
}
