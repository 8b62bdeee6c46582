package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.ratelimit.ShardRateLimiter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stream's {@link ShardQueue}s by shard id ("" for entries without a predicted shard): made on first use (closed
 * when the shard already left the shard map), closed on a reshard, dropped once closed and idle, so per-shard state
 * follows the open shards. Not thread-safe: guarded by the collector's lock.
 */
final class ShardQueues {

    private final int ratePercent;
    private final Map<String, ShardQueue> byShard = new HashMap<>();
    /** The same queues in order of creation, for round-robin call building. */
    final List<ShardQueue> list = new ArrayList<>();
    final ShardQueue.Totals totals = new ShardQueue.Totals();
    /** Shards that left the shard map (a queue made for one later starts closed). */
    private final Set<String> closedShards = new HashSet<>();

    ShardQueues(int ratePercent) {
        this.ratePercent = ratePercent;
    }

    /** The shard's queue, made if needed. */
    ShardQueue get(String shardId) {
        String key = shardId == null ? "" : shardId;
        ShardQueue q = byShard.get(key);
        if (q == null) {
            // A new shard's buckets start full.
            q = new ShardQueue(key, new ShardRateLimiter(ratePercent, 0), totals);
            q.closed = !closedShards.isEmpty() && closedShards.contains(key);
            byShard.put(key, q);
            list.add(q);
        }
        return q;
    }

    /** The shard's queue if it has one. */
    ShardQueue find(String shardId) {
        return byShard.get(shardId == null ? "" : shardId);
    }

    /** See {@link StreamCollector#closeShards}. */
    List<KinesisEntry> close(Collection<String> closed, Map<String, List<String>> parentsOf) {
        List<KinesisEntry> out = new ArrayList<>();
        for (String id : closed) {
            closedShards.add(id);
            ShardQueue q = byShard.get(id);
            if (q != null) {
                q.closed = true;
                out.addAll(q.takeAll());
            }
        }
        for (Map.Entry<String, List<String>> child : parentsOf.entrySet()) {
            List<ShardQueue> waitFor = new ArrayList<>(2);
            for (String parentId : child.getValue()) {
                ShardQueue p = byShard.get(parentId);
                if (p == null) {
                    continue;
                }
                if (p.busy()) {
                    waitFor.add(p);
                }
                if (p.parents != null) {
                    waitFor.addAll(p.parents); // a parent still waiting for its own parents
                }
            }
            if (!waitFor.isEmpty()) {
                ShardQueue c = get(child.getKey());
                if (c.parents != null) {
                    waitFor.addAll(c.parents);
                }
                c.parents = waitFor;
            }
        }
        return out;
    }

    /** Removes the idle queues of shards not in {@code openShardIds}. */
    void dropIdle(Set<String> openShardIds) {
        for (Iterator<ShardQueue> it = list.iterator(); it.hasNext(); ) {
            ShardQueue q = it.next();
            if (!q.shardId.isEmpty() && !openShardIds.contains(q.shardId) && q.isIdle()) {
                it.remove();
                byShard.remove(q.shardId);
            }
        }
    }

    /** Removes every queued entry of every shard. */
    List<KinesisEntry> takeAll() {
        List<KinesisEntry> all = new ArrayList<>();
        for (ShardQueue q : list) {
            all.addAll(q.takeAll());
        }
        return all;
    }

    /** No entry queued, and no shard with a call in flight or an answer held. */
    boolean isIdle() {
        if (totals.freshCount > 0) {
            return false;
        }
        for (ShardQueue q : list) {
            if (q.busy() || !q.retries.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Entries queued (fresh and retries), not counting those in flight. */
    int queuedEntries() {
        int n = 0;
        for (ShardQueue q : list) {
            n += q.fresh.size() + q.retries.size();
        }
        return n;
    }

    Set<String> shardIds() {
        return Set.copyOf(byShard.keySet());
    }
}
