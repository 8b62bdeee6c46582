package io.purekinesis.consumer.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A {@link Clock} that reads the wall clock once and then advances with {@link System#nanoTime()}: durations
 * measured on it (lease expiry, renewal age, latencies) are immune to wall-clock steps (NTP, VM resume).
 */
public final class MonotonicClock extends Clock {

    private final Instant base;
    private final long baseNanos;
    private final LongSupplier nanos;

    /** Starts at the current wall-clock time. */
    public MonotonicClock() {
        this(Instant.now(), System::nanoTime);
    }

    MonotonicClock(Instant base, LongSupplier nanos) {
        this.base = base;
        this.nanos = nanos;
        this.baseNanos = nanos.getAsLong();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this; // zone-free use only: millis() and instant()
    }

    @Override
    public Instant instant() {
        return base.plusNanos(nanos.getAsLong() - baseNanos);
    }

    @Override
    public long millis() {
        return base.toEpochMilli() + (nanos.getAsLong() - baseNanos) / 1_000_000;
    }

    /** The nano source this clock advances with ({@link System#nanoTime()} by default). */
    public long nanoTime() {
        return nanos.getAsLong();
    }

    @Override
    public String toString() {
        return "MonotonicClock[since " + base + "]";
    }
}
