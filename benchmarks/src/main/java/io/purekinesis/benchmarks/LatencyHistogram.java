package io.purekinesis.benchmarks;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Log-linear histogram of non-negative longs (nanoseconds here), in the manner of HdrHistogram: values below 128
 * are counted exactly; above, each power of two is split into 64 equal buckets, so a bucket's width is at most
 * 1/64 (1.6%) of its values. 3,712 counters cover the whole {@code long} range. Thread-safe: recording is one
 * atomic increment, no allocation.
 */
public final class LatencyHistogram {

    /** Values below this are counted one bucket per value. */
    static final int LINEAR_LIMIT = 128;
    private static final int SUB_BUCKETS = 64;
    private static final int SUB_BITS = 6;
    static final int BUCKETS = LINEAR_LIMIT + 56 * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    /** Counts one value; negative values count as 0. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts.incrementAndGet(index(v));
        total.incrementAndGet();
        long m = max.get();
        while (v > m && !max.compareAndSet(m, v)) {
            m = max.get();
        }
    }

    static int index(long v) {
        if (v < LINEAR_LIMIT) {
            return (int) v;
        }
        int shift = (63 - Long.numberOfLeadingZeros(v)) - SUB_BITS;
        int top = (int) (v >>> shift);
        return LINEAR_LIMIT + (shift - 1) * SUB_BUCKETS + (top - SUB_BUCKETS);
    }

    /** Smallest value counted in bucket {@code index}. */
    static long lowestValue(int index) {
        if (index < LINEAR_LIMIT) {
            return index;
        }
        int shift = (index - LINEAR_LIMIT) / SUB_BUCKETS + 1;
        long top = (index - LINEAR_LIMIT) % SUB_BUCKETS + SUB_BUCKETS;
        return top << shift;
    }

    /** Largest value counted in bucket {@code index}. */
    static long highestValue(int index) {
        if (index < LINEAR_LIMIT) {
            return index;
        }
        int shift = (index - LINEAR_LIMIT) / SUB_BUCKETS + 1;
        long top = (index - LINEAR_LIMIT) % SUB_BUCKETS + SUB_BUCKETS;
        return ((top + 1) << shift) - 1;
    }

    public long count() {
        return total.get();
    }

    public long max() {
        return max.get();
    }

    /**
     * The value at quantile {@code q} in [0, 1]: the upper bound of the bucket holding the ceil(q * count)-th
     * smallest value (never above the maximum recorded), so it overstates by less than one bucket width. 0 when
     * empty.
     */
    public long valueAtQuantile(double q) {
        if (q < 0 || q > 1) {
            throw new IllegalArgumentException("q must be in [0, 1], was " + q);
        }
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            n += counts.get(i);
        }
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.min(highestValue(i), max.get());
            }
        }
        return max.get();
    }

    /** Clears all counts; not atomic with respect to concurrent {@link #record}. */
    public void reset() {
        for (int i = 0; i < BUCKETS; i++) {
            counts.set(i, 0);
        }
        total.set(0);
        max.set(0);
    }
}
