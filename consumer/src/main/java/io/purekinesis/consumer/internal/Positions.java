package io.purekinesis.consumer.internal;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.math.BigInteger;

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
        int c = compareSequenceNumbers(a.sequenceNumber(), b.sequenceNumber());
        return c != 0 ? c : Long.compare(a.subSequenceNumber(), b.subSequenceNumber());
    }

    /**
     * A Kinesis record's sequence number (sub-sequence 0 ignored) against a position, as {@link #compare} orders
     * them, without making an {@link ExtendedSequenceNumber}: positive after it (also when the position is a start
     * sentinel), negative before it (also for SHARD_END), 0 for the position's own Kinesis record.
     */
    public static int compareToPosition(String sequenceNumber, ExtendedSequenceNumber position) {
        int r = rank(position);
        return r != 1 ? Integer.compare(1, r) : compareSequenceNumbers(sequenceNumber, position.sequenceNumber());
    }

    /**
     * Compares two sequence numbers (not sentinels) as numbers. Kinesis writes them in decimal without leading
     * zeros, and then the longer is the larger and equal lengths compare digit by digit, with no BigInteger: the
     * fetcher compares every Kinesis record it reads against its floor. Any other form is compared as BigIntegers.
     */
    public static int compareSequenceNumbers(String a, String b) {
        if (canonical(a) && canonical(b)) {
            int c = Integer.compare(a.length(), b.length());
            return c != 0 ? c : Integer.signum(a.compareTo(b));
        }
        return new BigInteger(a).compareTo(new BigInteger(b));
    }

    private static boolean canonical(String s) {
        int n = s.length();
        if (n == 0 || (s.charAt(0) == '0' && n > 1)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') {
                return false;
            }
        }
        return true;
    }

    private static int rank(ExtendedSequenceNumber p) {
        if (p == ExtendedSequenceNumber.SHARD_END) {
            return 2;
        }
        return p.isSentinel() ? 0 : 1;
    }
}
