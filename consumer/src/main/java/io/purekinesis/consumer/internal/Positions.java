package io.purekinesis.consumer.internal;

import io.purekinesis.consumer.ExtendedSequenceNumber;

/** Orders positions in a shard. Sentinels TRIM_HORIZON, LATEST and AT_TIMESTAMP come before any real position. */
public final class Positions {

    private Positions() {
    }

    /**
     * Compares two positions; {@link ExtendedSequenceNumber#SHARD_END} is after everything, the start sentinels
     * before every real position and equal to each other.
     */
    public static int compare(ExtendedSequenceNumber a, ExtendedSequenceNumber b) {
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb || ra != 1) {
            return Integer.compare(ra, rb);
        }
        int c = a.sequenceNumberValue().compareTo(b.sequenceNumberValue());
        return c != 0 ? c : Long.compare(a.subSequenceNumber(), b.subSequenceNumber());
    }

    private static int rank(ExtendedSequenceNumber p) {
        if (p == ExtendedSequenceNumber.SHARD_END) {
            return 2;
        }
        return p.isSentinel() ? 0 : 1;
    }
}
