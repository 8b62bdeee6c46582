package io.purekinesis.producer.internal.aggregation;

import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.Offered;
import io.purekinesis.producer.internal.batching.StreamCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Packs the user records predicted for one shard into KPL aggregated records. User threads append under this
 * aggregator's lock; a sealed entry is handed to the stream's collector while still holding it, so entries of a
 * shard reach the collector in {@code add} order. No I/O happens here.
 *
 * <p>As KPL does: an aggregate holding a single record is sent plain, and a record too large to fit an aggregate
 * alone is sent plain (after sealing the open aggregate, to keep order).
 */
public final class ShardAggregator {

    private final String shardId;
    private final int maxSize;
    private final int maxCount;
    private final EntrySettings settings;
    private final boolean wakeOnNewAggregate;

    private final ReentrantLock lock = new ReentrantLock();
    private boolean retired; // guarded by lock
    private final AggregateEncoder encoder = new AggregateEncoder();
    private List<UserRecord> records = new ArrayList<>();
    /** Send deadline of the open aggregate; Long.MAX_VALUE when empty. Written under the lock. */
    private volatile long deadlineMillis = Long.MAX_VALUE;

    /** @param wakeOnNewAggregate whether a new aggregate (a new deadline) asks to wake the sender */
    public ShardAggregator(String shardId, int maxSize, long maxCount, EntrySettings settings,
            boolean wakeOnNewAggregate) {
        this.wakeOnNewAggregate = wakeOnNewAggregate;
        this.shardId = shardId;
        this.maxSize = maxSize;
        this.maxCount = (int) Math.min(Integer.MAX_VALUE, maxCount);
        this.settings = settings;
    }

    public String shardId() {
        return shardId;
    }

    /**
     * Adds a record; seals the open aggregate into {@code sink} first when the record does not fit.
     *
     * @return true when the sender should wake: a new aggregate began (a new deadline; if so configured) or the
     *     collector asked for it
     */
    public boolean append(UserRecord record, StreamCollector sink) {
        Offered outcome = offer(record, sink);
        if (outcome == Offered.SHARD_CLOSED) {
            throw new IllegalStateException("aggregator of closed shard " + shardId + " is retired");
        }
        return outcome == Offered.WAKE;
    }

    /**
     * {@link #append}, or {@link Offered#SHARD_CLOSED} (record not taken) once the aggregator is retired: the
     * caller routes the record again with the current map.
     */
    public Offered offer(UserRecord record, StreamCollector sink) {
        lock.lock();
        try {
            if (retired) {
                return Offered.SHARD_CLOSED;
            }
            boolean wake = false;
            if (!encoder.tryAdd(record.partitionKey(), record.explicitHashKey(), record.data(), maxSize)) {
                if (!records.isEmpty()) {
                    wake |= sealLocked(sink, true);
                }
                if (!encoder.tryAdd(record.partitionKey(), record.explicitHashKey(), record.data(), maxSize)) {
                    // Too large to share an aggregate even alone: goes plain, after everything before it.
                    wake |= sink.enqueue(KinesisEntry.plain(settings, record, shardId).markReady());
                    return wake ? Offered.WAKE : Offered.QUIET;
                }
            }
            records.add(record);
            if (records.size() >= maxCount) {
                // full by count: it cannot take another record, so it goes now rather than at its deadline
                wake |= sealLocked(sink, true);
            } else if (records.size() == 1) {
                deadlineMillis = record.arrivalMillis(settings.ttlMillis()) + settings.maxBufferedMillis();
                wake |= wakeOnNewAggregate;
            }
            return wake ? Offered.WAKE : Offered.QUIET;
        } finally {
            lock.unlock();
        }
    }

    /** The open aggregate's send deadline, or Long.MAX_VALUE when empty. */
    public long deadlineMillis() {
        return deadlineMillis;
    }

    /** Seals the open aggregate into {@code sink} when its deadline passed or {@code force}. */
    public void sealIfDue(long nowMillis, boolean force, StreamCollector sink) {
        if (deadlineMillis == Long.MAX_VALUE || (!force && deadlineMillis > nowMillis)) {
            return;
        }
        lock.lock();
        try {
            if (!records.isEmpty() && (force || deadlineMillis <= nowMillis)) {
                sealLocked(sink, false);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The shard closed: refuses further records ({@link #offer} answers {@link Offered#SHARD_CLOSED}) and returns the open
     * aggregate's records, in {@code add} order, for the caller to route with the newer shard map. Sender thread.
     */
    public List<UserRecord> retireAndDrain() {
        lock.lock();
        try {
            retired = true;
            return drainRecords();
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns every record of the open aggregate (for close). */
    public List<UserRecord> drainRecords() {
        lock.lock();
        try {
            List<UserRecord> out = records;
            records = new ArrayList<>();
            encoder.clear();
            deadlineMillis = Long.MAX_VALUE;
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** @param full sealed because it could not take the next record: ready to send at once */
    private boolean sealLocked(StreamCollector sink, boolean full) {
        KinesisEntry entry;
        if (records.size() == 1) {
            entry = KinesisEntry.plain(settings, records.get(0), shardId);
            records.clear();
        } else {
            entry = KinesisEntry.aggregate(settings, records, encoder.toByteArray(), shardId);
            records = new ArrayList<>(Math.min(records.size() + 16, 1024));
        }
        encoder.clear();
        deadlineMillis = Long.MAX_VALUE;
        return sink.enqueue(full ? entry.markReady() : entry);
    }
}
