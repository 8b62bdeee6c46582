package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void everyValueFallsInsideItsBucketAndBucketsAreContiguous() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            long v = (random.nextLong() >>> 1) >>> random.nextInt(63);
            int index = LatencyHistogram.index(v);
            assertTrue(index >= 0 && index < LatencyHistogram.BUCKETS, "index " + index + " for " + v);
            assertTrue(LatencyHistogram.lowestValue(index) <= v && v <= LatencyHistogram.highestValue(index),
                    "value " + v + " outside bucket " + index);
        }
        for (int i = 1; i < LatencyHistogram.BUCKETS; i++) {
            assertEquals(LatencyHistogram.highestValue(i - 1) + 1, LatencyHistogram.lowestValue(i), "gap at " + i);
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.index(Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE, LatencyHistogram.highestValue(LatencyHistogram.BUCKETS - 1));
    }

    @Test
    void bucketsAreNarrowerThanOneSixtyFourthOfTheirValues() {
        for (int i = LatencyHistogram.LINEAR_LIMIT; i < LatencyHistogram.BUCKETS; i++) {
            long low = LatencyHistogram.lowestValue(i);
            long width = LatencyHistogram.highestValue(i) - low + 1;
            assertTrue(width <= low / 64, "bucket " + i + " [" + low + ", +" + width + ")");
        }
    }

    @Test
    void smallValuesAreExact() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertEquals(100, h.count());
        assertEquals(50, h.valueAtQuantile(0.5));
        assertEquals(99, h.valueAtQuantile(0.99));
        assertEquals(100, h.valueAtQuantile(1.0));
        assertEquals(1, h.valueAtQuantile(0.0));
        assertEquals(100, h.max());
    }

    @Test
    void quantilesOfLargeValuesAreWithinOneBucket() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 1_000_000; v++) {
            h.record(v * 1_000); // 1 us .. 1 s in nanoseconds
        }
        assertWithin(500_000_000L, h.valueAtQuantile(0.5));
        assertWithin(990_000_000L, h.valueAtQuantile(0.99));
        assertWithin(999_000_000L, h.valueAtQuantile(0.999));
        assertEquals(1_000_000_000L, h.max());
        assertEquals(1_000_000_000L, h.valueAtQuantile(1.0));
    }

    @Test
    void emptyAndResetGiveZero() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, h.valueAtQuantile(0.99));
        h.record(12_345);
        h.record(-5);
        assertEquals(2, h.count());
        assertEquals(0, h.valueAtQuantile(0.5));
        h.reset();
        assertEquals(0, h.count());
        assertEquals(0, h.max());
        assertEquals(0, h.valueAtQuantile(0.5));
    }

    private static void assertWithin(long expected, long actual) {
        assertTrue(actual >= expected && actual <= expected + expected / 64,
                "expected " + expected + " (+1/64), was " + actual);
    }
}
