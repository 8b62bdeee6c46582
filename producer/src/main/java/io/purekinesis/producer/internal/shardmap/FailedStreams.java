package io.purekinesis.producer.internal.shardmap;

import io.purekinesis.producer.FailureReason;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The producer's bounded, expiring memory of streams that do not exist or refuse it (a negative cache), so that
 * records to such a stream fail at once instead of each costing a ListShards call: 10,000 adds to one bad name
 * cost one call. An entry blocks its stream for {@link #BASE_MILLIS}, doubling with each consecutive failure up to
 * {@code maxMillis}; after that the next add tries again. Expired entries are kept (for the count) until a
 * success forgets them or the bound evicts the oldest: at most {@link #MAX_ENTRIES} streams, whatever the number
 * of distinct bad names.
 */
public final class FailedStreams {

    /** How many failed streams are remembered at most. */
    public static final int MAX_ENTRIES = 1024;
    /** How long a stream is blocked after its first failure. */
    public static final long BASE_MILLIS = 1000;

    /** Why and until when a stream's records fail at once. */
    public record Failure(FailureReason reason, String errorCode, String message, Throwable cause, int failures,
            long sinceMillis, long untilMillis) {
    }

    private final long maxMillis;
    private final LinkedHashMap<String, Failure> byName = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Failure> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /** @param maxMillis the longest a stream stays blocked (the producer's shard-map refresh interval) */
    public FailedStreams(long maxMillis) {
        this.maxMillis = Math.max(BASE_MILLIS, maxMillis);
    }

    /** Remembers a failure of {@code stream}'s name; consecutive failures block it longer. */
    public synchronized Failure failed(String stream, FailureReason reason, String errorCode, String message,
            Throwable cause, long nowMillis) {
        Failure previous = byName.remove(stream);
        int failures = previous == null ? 1 : previous.failures() + 1;
        long block = Math.min(maxMillis, BASE_MILLIS << Math.min(30, failures - 1));
        Failure f = new Failure(reason, errorCode, message, cause, failures, nowMillis, nowMillis + block);
        byName.put(stream, f);
        return f;
    }

    /** The failure blocking {@code stream} now, or null. */
    public synchronized Failure blocking(String stream, long nowMillis) {
        if (byName.isEmpty()) {
            return null;
        }
        Failure f = byName.get(stream);
        return f != null && nowMillis < f.untilMillis() ? f : null;
    }

    /** The stream works again: forget its failures. */
    public synchronized void succeeded(String stream) {
        if (!byName.isEmpty()) {
            byName.remove(stream);
        }
    }

    /** Drops entries expired for longer than the longest block (their count no longer matters). */
    public synchronized void purge(long nowMillis) {
        for (Iterator<Failure> it = byName.values().iterator(); it.hasNext(); ) {
            if (nowMillis >= it.next().untilMillis() + maxMillis) {
                it.remove();
            }
        }
    }

    public synchronized int size() {
        return byName.size();
    }
}
