package io.purekinesis.internal.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    /** Draws the largest value allowed (or the smallest): the edges of the jitter. */
    private static RandomGenerator always(boolean top) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public long nextLong(long bound) {
                return top ? bound - 1 : 0;
            }
        };
    }

    @Test
    void capFirstThenFullJitter() {
        Backoff backoff = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(7));
        assertEquals(100, backoff.capMillis(1));
        assertEquals(200, backoff.capMillis(2));
        assertEquals(400, backoff.capMillis(3));
        assertEquals(5000, backoff.capMillis(7));
        assertEquals(5000, backoff.capMillis(50));
        Set<Long> atCap = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            long d = backoff.delayMillis(20);
            assertTrue(d >= 0 && d <= 5000);
            atCap.add(d);
        }
        assertTrue(atCap.size() > 150, "at the cap, waits still spread out");
    }

    @Test
    void theJitterReachesBothEndsOfTheCappedRange() {
        Backoff top = Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1000), always(true));
        assertEquals(100, top.delayMillis(1));
        assertEquals(Duration.ofMillis(400), top.delay(3));
        assertEquals(1000, top.delayMillis(10), "capped at max, the cap itself included");
        Backoff bottom = Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1000), always(false));
        assertEquals(0, bottom.delayMillis(5));
    }

    @Test
    void noOverflowAfterManyAttemptsWithTheLargestSettings() {
        Backoff backoff = Backoff.of(Duration.ofHours(1), Duration.ofHours(1), new SplittableRandom(5));
        for (int attempt : new int[] {-5, 0, 1, 2, 30, 62, 63, 64, 1000, Integer.MAX_VALUE}) {
            assertEquals(3_600_000, backoff.capMillis(attempt), "attempt " + attempt);
            long d = backoff.delayMillis(attempt);
            assertTrue(d >= 0 && d <= 3_600_000, "attempt " + attempt + ": " + d);
        }
        Backoff small = Backoff.of(Duration.ofMillis(1), Duration.ofHours(1), new SplittableRandom(5));
        for (int attempt = 1; attempt < 200; attempt++) {
            long cap = small.capMillis(attempt);
            assertTrue(cap >= 1 && cap <= 3_600_000, "attempt " + attempt + ": " + cap);
            assertTrue(attempt == 1 || cap >= small.capMillis(attempt - 1), "never shrinks at " + attempt);
        }
    }

    @Test
    void sameSeedSameSchedule() {
        Backoff a = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(3));
        Backoff b = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(3));
        for (int i = 1; i < 10; i++) {
            assertEquals(a.delayMillis(i), b.delayMillis(i));
        }
    }

    @Test
    void withoutARandomItDrawsFromTheThreadsOwn() {
        Backoff backoff = Backoff.of(Duration.ofMillis(10), Duration.ofMillis(10), null);
        for (int i = 0; i < 100; i++) {
            long d = backoff.delayMillis(3);
            assertTrue(d >= 0 && d <= 10, Long.toString(d));
        }
    }

    @Test
    void rejectsBadArgumentsNamingThem() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> Backoff.of(Duration.ZERO, Duration.ofSeconds(1), null));
        assertEquals("backoff needs 1 ms <= base <= max, was base PT0S, max PT1S", zero.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1), null));
    }
}
