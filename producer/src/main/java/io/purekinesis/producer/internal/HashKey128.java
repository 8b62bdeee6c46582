package io.purekinesis.producer.internal;

import io.purekinesis.aggregation.AggregationFormat;
import io.purekinesis.aggregation.HashKeys;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * 128-bit hash keys as two unsigned longs, so the hot path hashes a partition key once without allocating a
 * {@link BigInteger}: the MD5 of the key's UTF-8 bytes, read big-endian (as {@link HashKeys#partitionKeyHash}).
 * {@link #hashPartitionKey} leaves its result in a per-thread scratch object read right after on the same thread.
 * Decimal strings (the {@code ExplicitHashKey} of every plain record) are written without a {@link BigInteger}.
 */
public final class HashKey128 {

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final ThreadLocal<HashKey128> SCRATCH = ThreadLocal.withInitial(HashKey128::new);
    /** Longest partition key whose ASCII bytes fit the scratch buffer (Kinesis allows 256 UTF-16 units). */
    private static final int SCRATCH_KEY_LENGTH = 256;
    private static final long BILLION = 1_000_000_000L;
    /** 2^128 - 1 has 39 digits; five base-10^9 chunks write up to 45. */
    private static final int MAX_CHUNKED_DIGITS = 45;

    private final MessageDigest md5;
    private final byte[] digest = new byte[16];
    private final byte[] keyBytes = new byte[SCRATCH_KEY_LENGTH];
    private long hi;
    private long lo;

    private HashKey128() {
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide MD5", e);
        }
    }

    /** Hashes the partition key into this thread's scratch object and returns it; read {@link #hi()}/{@link #lo()}. */
    public static HashKey128 hashPartitionKey(String partitionKey) {
        HashKey128 h = SCRATCH.get();
        h.md5.reset();
        // most keys are ASCII: their UTF-8 bytes go through a scratch buffer, saving an array per add
        int ascii = AggregationFormat.asciiInto(partitionKey, h.keyBytes);
        if (ascii >= 0) {
            h.md5.update(h.keyBytes, 0, ascii);
        } else {
            h.md5.update(partitionKey.getBytes(StandardCharsets.UTF_8));
        }
        try {
            h.md5.digest(h.digest, 0, 16);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
        h.hi = readLong(h.digest, 0);
        h.lo = readLong(h.digest, 8);
        return h;
    }

    public long hi() {
        return hi;
    }

    public long lo() {
        return lo;
    }

    private static long readLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    /** High 64 bits of a hash key in [0, 2^128-1]. */
    public static long hi(BigInteger key) {
        return key.shiftRight(64).longValue();
    }

    /** Low 64 bits of a hash key in [0, 2^128-1]. */
    public static long lo(BigInteger key) {
        return key.longValue();
    }

    public static BigInteger toBigInteger(long hi, long lo) {
        BigInteger h = BigInteger.valueOf(hi);
        if (hi < 0) {
            h = h.add(TWO_64);
        }
        BigInteger l = BigInteger.valueOf(lo);
        if (lo < 0) {
            l = l.add(TWO_64);
        }
        return h.shiftLeft(64).add(l);
    }

    /**
     * The unsigned 128-bit number {@code hi:lo} in decimal, equal to {@code toBigInteger(hi, lo).toString()} at a
     * fraction of the cost: every plain record sends its hash key as this string. Divides the four 32-bit limbs
     * by 10^9 (a remainder below 2^30, shifted by 32, fits a long) and writes nine digits per step.
     */
    public static String toDecimalString(long hi, long lo) {
        if (hi == 0) {
            return Long.toUnsignedString(lo);
        }
        long l3 = hi >>> 32;
        long l2 = hi & 0xFFFF_FFFFL;
        long l1 = lo >>> 32;
        long l0 = lo & 0xFFFF_FFFFL;
        byte[] digits = new byte[MAX_CHUNKED_DIGITS];
        int pos = MAX_CHUNKED_DIGITS;
        while ((l3 | l2 | l1 | l0) != 0) {
            long r = l3 % BILLION;
            l3 /= BILLION;
            long t = (r << 32) | l2;
            l2 = t / BILLION;
            r = t - l2 * BILLION;
            t = (r << 32) | l1;
            l1 = t / BILLION;
            r = t - l1 * BILLION;
            t = (r << 32) | l0;
            l0 = t / BILLION;
            r = t - l0 * BILLION;
            for (int i = 0; i < 9; i++) {
                digits[--pos] = (byte) ('0' + r % 10);
                r /= 10;
            }
        }
        while (digits[pos] == '0') { // hi != 0: the number has more than nine digits, never all zeros
            pos++;
        }
        return new String(digits, pos, MAX_CHUNKED_DIGITS - pos, StandardCharsets.ISO_8859_1);
    }

    /** Unsigned comparison of two 128-bit keys. */
    public static int compare(long hi1, long lo1, long hi2, long lo2) {
        int c = Long.compareUnsigned(hi1, hi2);
        return c != 0 ? c : Long.compareUnsigned(lo1, lo2);
    }
}
