package io.purekinesis.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when told, for tests of time-dependent behaviour (record TTL, buffered time, shard-map
 * refresh, lease expiry) without sleeping: hand it to the configuration's {@code clock(...)} and {@link #advance}
 * it. Safe to read and advance from any thread.
 */
public final class ManualClock extends Clock {

    private final AtomicLong millis;

    /** A clock that reads {@code startMillis} (epoch milliseconds) until advanced. */
    public ManualClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    /** A clock that reads {@code start} (to the millisecond) until advanced. */
    public ManualClock(Instant start) {
        this(start.toEpochMilli());
    }

    /** Moves the clock forward by {@code d} (to the millisecond). */
    public void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
