package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * Forms a stream's PutRecords calls from its shard queues: at most {@code maxCount} entries and {@code maxSize}
 * bytes per call (a larger single entry goes alone), shards taken round-robin so none starves, a shard that must
 * wait or is throttled skipped without stalling the others, due retries before fresh entries, entries past their
 * TTL removed. With strict ordering a shard whose retry waits sends nothing, and a call carries at most one entry
 * per shard. Takes rate-limiter tokens for what it takes. Runs under the collector's lock.
 */
final class CallBuilder {

    /**
     * Ready (full) entries go before their deadline only once those of the shards that may send hold this much
     * (or a whole call, if smaller): an early call must be worth its fixed cost. Below it they wait for their
     * deadline as KPL's do, so large records arriving slowly share calls instead of going one call each; above it a
     * producer whose application caps the records in flight is not held to one call per buffered time.
     */
    static final long READY_BYTES_TO_SEND = 256 * 1024;

    private final String stream;
    private final int maxCount;
    private final long maxSize;
    private final boolean strictOrdering;
    private final StreamCollector collector;
    private final RoutingFeedback routing;
    private int roundRobin;

    CallBuilder(String stream, int maxCount, long maxSize, boolean strictOrdering, StreamCollector collector,
            RoutingFeedback routing) {
        this.stream = stream;
        this.maxCount = maxCount;
        this.maxSize = maxSize;
        this.strictOrdering = strictOrdering;
        this.collector = collector;
        this.routing = routing;
    }

    /**
     * Adds up to {@code maxBatches} calls to {@code out} when anything is due: a flush, a fresh entry past its send
     * deadline, a retry past its backoff, a full call's worth, or ready (full) entries of shards that may send
     * holding {@link #readyBytesToSend}: as Kafka's sender sends a full batch without lingering, since waiting
     * cannot make it bigger. Notes in {@code out} when it is next needed.
     */
    void drain(List<ShardQueue> shards, ShardQueue.Totals totals, boolean flush, long nowMillis, int maxBatches,
            StreamCollector.Drained out) {
        boolean due = flush;
        long sendableReadyBytes = 0;
        for (ShardQueue q : shards) {
            KinesisEntry head = q.fresh.peekFirst();
            if (q.ready > 0 && !q.mustWait()) {
                sendableReadyBytes += q.readyBytes;
            }
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
        due |= sendableReadyBytes >= readyBytesToSend();
        while (out.batches.size() < maxBatches
                && (due || totals.freshCount >= maxCount || totals.freshBytes >= maxSize)) {
            PutBatch batch = buildBatch(shards, totals, nowMillis, out);
            if (batch == null) {
                break;
            }
            out.batches.add(batch);
        }
    }

    long readyBytesToSend() {
        return Math.min(READY_BYTES_TO_SEND, maxSize);
    }

    private PutBatch buildBatch(List<ShardQueue> shards, ShardQueue.Totals totals, long nowMillis,
            StreamCollector.Drained out) {
        List<KinesisEntry> entries = new ArrayList<>(Math.min(maxCount, totals.freshCount + 8));
        List<ShardQueue> touched = new ArrayList<>(4);
        long bytes = 0;
        int n = shards.size();
        int start = roundRobin++ % n;
        boolean full = false;
        for (int i = 0; i < n && !full; i++) {
            ShardQueue q = shards.get((start + i) % n);
            if (q.mustWait()) {
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
                    q.removeHead(fromRetries);
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
                q.removeHead(fromRetries);
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
        return entries.isEmpty() ? null : new PutBatch(stream, entries, bytes, touched, collector, routing);
    }
}
