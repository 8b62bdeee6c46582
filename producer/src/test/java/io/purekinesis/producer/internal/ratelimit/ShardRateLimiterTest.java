package io.purekinesis.producer.internal.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShardRateLimiterTest {

    @Test
    void limitsRecordsPerSecond() {
        ShardRateLimiter limiter = new ShardRateLimiter(150, 0);
        int taken = 0;
        while (limiter.tryAcquire(10, 0)) {
            taken++;
        }
        assertEquals(1500, taken);
        assertEquals(1, limiter.millisUntilAvailable(10, 0));
        assertTrue(limiter.tryAcquire(10, 1), "1.5 records per ms refill");
    }

    @Test
    void limitsBytesPerSecond() {
        ShardRateLimiter limiter = new ShardRateLimiter(100, 0);
        assertTrue(limiter.tryAcquire(1024 * 1024, 0));
        assertFalse(limiter.tryAcquire(1024, 0));
        assertEquals(500, limiter.millisUntilAvailable(512 * 1024, 0));
        assertTrue(limiter.tryAcquire(512 * 1024, 500));
    }

    @Test
    void anOversizeEntryNeedsOnlyAFullBucket() {
        ShardRateLimiter limiter = new ShardRateLimiter(10, 0); // 104,857 bytes/s
        assertTrue(limiter.tryAcquire(1024 * 1024, 0));
        assertFalse(limiter.tryAcquire(1024 * 1024, 500));
        assertTrue(limiter.tryAcquire(1024 * 1024, 100_000));
    }
}
