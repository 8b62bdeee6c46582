package io.purekinesis.producer.internal;

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
 */
public final class HashKey128 {

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final ThreadLocal<HashKey128> SCRATCH = ThreadLocal.withInitial(HashKey128::new);

    private final MessageDigest md5;
    private final byte[] digest = new byte[16];
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
        h.md5.update(partitionKey.getBytes(StandardCharsets.UTF_8));
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

    /** Unsigned comparison of two 128-bit keys. */
    public static int compare(long hi1, long lo1, long hi2, long lo2) {
        int c = Long.compareUnsigned(hi1, hi2);
        return c != 0 ? c : Long.compareUnsigned(lo1, lo2);
    }
}
