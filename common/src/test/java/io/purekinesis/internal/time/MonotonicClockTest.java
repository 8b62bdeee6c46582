package io.purekinesis.internal.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MonotonicClockTest {

    @Test
    void advancesWithTheNanoSourceWhateverTheWallClockDoes() {
        AtomicLong nanos = new AtomicLong(-7_000_000_000L); // nanoTime may be negative
        MonotonicClock clock = new MonotonicClock(Instant.parse("2026-12-05T00:00:00Z"), nanos::get);
        nanos.addAndGet(1_500_000_000L);
        assertEquals(Instant.parse("2026-12-05T00:00:01.500Z"), clock.instant());
        nanos.addAndGet(999_999L);
        assertEquals(Instant.parse("2026-12-05T00:00:01.500999999Z"), clock.instant(), "nanoseconds kept");
        assertEquals(Instant.parse("2026-12-05T00:00:01.500Z").toEpochMilli(), clock.millis(), "whole ms only");
        assertEquals(nanos.get(), clock.nanoTime());
    }

    @Test
    void millisAndInstantAgreeWhenTheStartHasAFractionOfAMillisecond() {
        AtomicLong nanos = new AtomicLong();
        MonotonicClock clock = new MonotonicClock(Instant.parse("2026-01-01T00:00:00.000700Z"), nanos::get);
        nanos.addAndGet(400_000L); // 0.0007 + 0.0004 s: into the next millisecond
        assertEquals(clock.instant().toEpochMilli(), clock.millis());
        assertEquals(Instant.parse("2026-01-01T00:00:00.001Z").toEpochMilli(), clock.millis());
    }

    @Test
    void beforeTheEpochMillisRoundDown() {
        AtomicLong nanos = new AtomicLong();
        MonotonicClock clock = new MonotonicClock(Instant.ofEpochMilli(-1), nanos::get);
        nanos.addAndGet(500_000L);
        assertEquals(-1, clock.millis(), "-0.5 ms is in the millisecond -1, as Instant.toEpochMilli says");
        assertEquals(clock.instant().toEpochMilli(), clock.millis());
    }

    @Test
    void utcOnly() {
        MonotonicClock clock = new MonotonicClock();
        assertEquals(ZoneOffset.UTC, clock.getZone());
        assertSame(clock, clock.withZone(ZoneOffset.UTC));
        assertSame(clock, clock.withZone(ZoneId.of("UTC")));
        assertThrows(UnsupportedOperationException.class, () -> clock.withZone(ZoneId.of("Europe/Paris")));
    }
}
