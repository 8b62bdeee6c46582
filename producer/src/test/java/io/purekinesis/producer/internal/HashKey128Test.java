package io.purekinesis.producer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.HashKeys;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HashKey128Test {

    @Test
    void agreesWithTheAggregationFormatsHash() {
        for (String key : new String[] {"a", "key-1", "\uD83D\uDE00", "x".repeat(256), "\u00e9\u4e2d",
                "\u00e9".repeat(256), "k\uD83D", "x".repeat(255) + "\u0080", "\u007f"}) {
            BigInteger expected = HashKeys.partitionKeyHash(key);
            HashKey128 h = HashKey128.hashPartitionKey(key);
            assertEquals(expected, HashKey128.toBigInteger(h.hi(), h.lo()), key);
            assertEquals(expected, HashKey128.toBigInteger(HashKey128.hi(expected), HashKey128.lo(expected)));
        }
    }

    @Test
    void comparesUnsigned() {
        BigInteger max = HashKeys.MAX_HASH_KEY;
        BigInteger half = BigInteger.ONE.shiftLeft(127);
        assertTrue(HashKey128.compare(HashKey128.hi(max), HashKey128.lo(max), HashKey128.hi(half),
                HashKey128.lo(half)) > 0);
        assertTrue(HashKey128.compare(0, -1L, 1, 0) < 0, "low half is unsigned");
        assertEquals(0, HashKey128.compare(5, 6, 5, 6));
        assertEquals(max, HashKey128.toBigInteger(-1L, -1L));
    }

    @Test
    void decimalStringsMatchBigInteger() {
        long[] edges = {0, 1, 9, 10, 999_999_999L, 1_000_000_000L, Long.MAX_VALUE, Long.MIN_VALUE, -1L,
                0xFFFF_FFFFL, 0x1_0000_0000L};
        for (long hi : edges) {
            for (long lo : edges) {
                assertEquals(HashKey128.toBigInteger(hi, lo).toString(), HashKey128.toDecimalString(hi, lo),
                        hi + ":" + lo);
            }
        }
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            long hi = random.nextInt(4) == 0 ? random.nextInt(1000) : random.nextLong();
            long lo = random.nextLong();
            assertEquals(HashKey128.toBigInteger(hi, lo).toString(), HashKey128.toDecimalString(hi, lo));
        }
        assertEquals(HashKeys.MAX_HASH_KEY.toString(), HashKey128.toDecimalString(-1L, -1L));
    }
}
