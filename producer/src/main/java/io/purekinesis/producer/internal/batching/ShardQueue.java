package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.ratelimit.ShardRateLimiter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One shard's entries in a {@link StreamCollector}: fresh ones in seal order, retries (sent first once their
 * backoff passed), the shard's rate limiter, and what keeps it from sending: a call in flight, answers not yet
 * re-routed, or closed parent shards that still have either. Guarded by the collector's lock.
 */
final class ShardQueue {

    /** The fresh entries of all of a stream's shard queues, kept by the queues as they change. */
    static final class Totals {
        int freshCount;
        long freshBytes;
        /** Bytes of the fresh entries marked {@link KinesisEntry#ready()}. */
        long readyBytes;
        /** Fresh entries ever queued: a cheap sign of activity for idle detection. */
        long everQueued;
    }

    final String shardId;
    final ArrayDeque<KinesisEntry> fresh = new ArrayDeque<>();
    final ArrayDeque<KinesisEntry> retries = new ArrayDeque<>();
    final ShardRateLimiter limiter;
    private final Totals totals;
    /** Fresh entries marked {@link KinesisEntry#ready()}, and their bytes: see {@link CallBuilder#drain}. */
    int ready;
    long readyBytes;
    /** Calls carrying this shard's entries in flight: at most one, so the shard's entries stay in order. */
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

    ShardQueue(String shardId, ShardRateLimiter limiter, Totals totals) {
        this.shardId = shardId;
        this.limiter = limiter;
        this.totals = totals;
    }

    void addFresh(KinesisEntry e) {
        fresh.addLast(e);
        if (e.ready()) {
            ready++;
            readyBytes += e.sizeBytes();
            totals.readyBytes += e.sizeBytes();
        }
        totals.freshCount++;
        totals.freshBytes += e.sizeBytes();
        totals.everQueued++;
    }

    /** Removes the head of the retries or of the fresh entries. */
    void removeHead(boolean fromRetries) {
        if (fromRetries) {
            retries.pollFirst();
        } else {
            KinesisEntry e = fresh.pollFirst();
            if (e.ready()) {
                ready--;
                readyBytes -= e.sizeBytes();
                totals.readyBytes -= e.sizeBytes();
            }
            totals.freshCount--;
            totals.freshBytes -= e.sizeBytes();
        }
    }

    /** Removes every queued entry: retries first, then fresh ones (oldest first). */
    List<KinesisEntry> takeAll() {
        List<KinesisEntry> out = new ArrayList<>(retries.size() + fresh.size());
        out.addAll(retries);
        retries.clear();
        for (KinesisEntry e : fresh) {
            totals.freshCount--;
            totals.freshBytes -= e.sizeBytes();
            out.add(e);
        }
        fresh.clear();
        ready = 0;
        totals.readyBytes -= readyBytes;
        readyBytes = 0;
        return out;
    }

    /** A call is in flight or an answer is not re-routed yet. */
    boolean busy() {
        return inFlight > 0 || holds > 0;
    }

    /** The shard may not send now: it is busy, or a closed parent still is. */
    boolean mustWait() {
        return busy() || (parents != null && waitsForParents());
    }

    private boolean waitsForParents() {
        for (ShardQueue p : parents) {
            if (p.busy()) {
                return true;
            }
        }
        parents = null;
        return false;
    }

    /** Nothing queued, in flight or held. */
    boolean isIdle() {
        return !busy() && fresh.isEmpty() && retries.isEmpty();
    }
}
