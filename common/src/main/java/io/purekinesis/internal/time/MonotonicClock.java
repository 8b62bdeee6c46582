package io.purekinesis.internal.time;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A {@link Clock} that reads the wall clock once and then advances with {@link System#nanoTime()}: the default
 * clock of producer and consumer. Every deadline and duration measured on it (the producer's buffered time, TTL,
 * backoff and refreshes; the consumer's lease expiry and renewal age) is immune to steps of the wall clock (NTP, a
 * VM resumed, a manual change): a step forward does not expire everything at once, a step back does not keep
 * things past their time. Timestamps drift from the wall clock only by the steps applied to it since the clock was
 * made.
 */
public final class MonotonicClock extends Clock {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    /** The start as nanoseconds since the epoch (a long holds them until 2262), so reads allocate nothing. */
    private final long baseEpochNanos;
    private final long baseNanos;
    private final LongSupplier nanos;

    /** Starts at the current wall-clock time. */
    public MonotonicClock() {
        this(Instant.now(), System::nanoTime);
    }

    /** For tests: starts at {@code base} and advances with {@code nanos}. */
    public MonotonicClock(Instant base, LongSupplier nanos) {
        this.baseEpochNanos = Math.addExact(Math.multiplyExact(base.getEpochSecond(), NANOS_PER_SECOND),
                base.getNano());
        this.nanos = nanos;
        this.baseNanos = nanos.getAsLong();
    }

    private long epochNanos() {
        return baseEpochNanos + (nanos.getAsLong() - baseNanos);
    }

    @Override
    public long millis() {
        return Math.floorDiv(epochNanos(), NANOS_PER_MILLI);
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochSecond(0, epochNanos());
    }

    /** The nano source this clock advances with ({@link System#nanoTime()} by default). */
    public long nanoTime() {
        return nanos.getAsLong();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** Only UTC: the libraries read instants, never local times; another zone would be silently ignored. */
    @Override
    public Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone.normalized())) {
            return this;
        }
        throw new UnsupportedOperationException("MonotonicClock is UTC only, was asked for " + zone);
    }

    @Override
    public String toString() {
        return "MonotonicClock[started at " + Instant.ofEpochSecond(0, baseEpochNanos) + "]";
    }
}
