package io.purekinesis.producer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.purekinesis.producer.ProducerConfig;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MonotonicClockTest {

    @Test
    void advancesWithTheNanoSourceWhateverTheWallClockDoes() {
        AtomicLong nanos = new AtomicLong(-7_000_000_000L); // nanoTime may be negative
        MonotonicClock clock = new MonotonicClock(Instant.parse("2026-12-05T00:00:00Z").toEpochMilli(), nanos::get);
        nanos.addAndGet(1_500_000_000L);
        assertEquals(Instant.parse("2026-12-05T00:00:01.500Z"), clock.instant());
        nanos.addAndGet(999_999L);
        assertEquals(Instant.parse("2026-12-05T00:00:01.500Z").toEpochMilli(), clock.millis(), "whole ms only");
    }

    @Test
    void theProducersDeadlinesAreOnAMonotonicClockByDefault() {
        // With the wall clock, an NTP step forward of a minute expired every buffered record at once (TTL 30 s),
        // and a step back kept records past their TTL for as long as the step.
        assertInstanceOf(MonotonicClock.class, ProducerConfig.builder().build().clock());
    }
}
