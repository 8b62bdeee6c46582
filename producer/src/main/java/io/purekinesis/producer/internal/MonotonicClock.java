package io.purekinesis.producer.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * The producer's default clock: the wall-clock time at creation, advanced by {@link System#nanoTime()}. Every
 * deadline the producer keeps (buffered time, TTL, backoff, shard-map refresh, idle streams) is measured on it,
 * so a step of the wall clock (NTP, a VM resumed, a manual change) neither expires every buffered record at once
 * (a step forward) nor keeps records far past their TTL (a step back). Attempt timestamps drift from the wall
 * clock only by the steps and offset corrections applied to it since the producer started.
 * (The consumer has its own, for its leases: the two modules share nothing but the aggregation format.)
 */
public final class MonotonicClock extends Clock {

    private final long baseMillis;
    private final long baseNanos;
    private final LongSupplier nanos;

    /** Starts at the current wall-clock time. */
    public MonotonicClock() {
        this(System.currentTimeMillis(), System::nanoTime);
    }

    /** For tests: starts at {@code wallMillis} and advances with {@code nanos}. */
    public MonotonicClock(long wallMillis, LongSupplier nanos) {
        this.baseMillis = wallMillis;
        this.nanos = nanos;
        this.baseNanos = nanos.getAsLong();
    }

    @Override
    public long millis() {
        return baseMillis + Math.floorDiv(nanos.getAsLong() - baseNanos, 1_000_000L);
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** Only UTC: the producer reads instants, never local times. */
    @Override
    public Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone)) {
            return this;
        }
        throw new UnsupportedOperationException("MonotonicClock is UTC only");
    }

    @Override
    public String toString() {
        return "MonotonicClock[started at " + Instant.ofEpochMilli(baseMillis) + "]";
    }
}
