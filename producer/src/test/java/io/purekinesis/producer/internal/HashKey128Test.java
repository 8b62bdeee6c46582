package io.purekinesis.producer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.HashKeys;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class HashKey128Test {

    @Test
    void agreesWithTheAggregationFormatsHash() {
        for (String key : new String[] {"a", "key-1", "\uD83D\uDE00", "x".repeat(256), "\u00e9\u4e2d"}) {
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
}
