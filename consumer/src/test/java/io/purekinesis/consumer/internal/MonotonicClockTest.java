package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ConsumerConfig;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MonotonicClockTest {

    @Test
    void followsTheNanoSourceNotTheWallClock() {
        AtomicLong nanos = new AtomicLong(5_000_000_000L);
        MonotonicClock clock = new MonotonicClock(Instant.parse("2026-01-01T00:00:00Z"), nanos::get);
        long start = clock.millis();
        nanos.addAndGet(2_500_000_000L);
        assertEquals(2_500, clock.millis() - start);
        assertEquals(Instant.parse("2026-01-01T00:00:02.500Z"), clock.instant());
    }

    @Test
    void leaseExpiryIsMeasuredOnAMonotonicClockByDefault() {
        // Lease expiry is "counter unchanged for failoverTime". On the wall clock an NTP step or a VM resume
        // forward makes every peer's lease look expired at once (mass takeover, two workers per shard); a step
        // back keeps a dead worker's shards stalled for as long as the step.
        ConsumerConfig c = ConsumerConfig.builder().applicationName("app").streamName("s").build();
        assertTrue(c.clock() instanceof MonotonicClock, "default clock " + c.clock());
    }
}
