package io.purekinesis.consumer.internal;

import io.purekinesis.internal.time.MonotonicClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The consumer's one source of time: every component measures durations, waits and reads the date through it (and
 * schedules on the executors of {@link ConsumerContext}), so tests run the consumer on a virtual time that moves only
 * when they say so, instead of sleeping.
 */
public interface Time {

    /** Nanoseconds for measuring durations (lease expiry, deadlines, latencies); only differences matter. */
    long nanoTime();

    /** {@link #nanoTime()} in milliseconds. */
    default long millis() {
        return TimeUnit.NANOSECONDS.toMillis(nanoTime());
    }

    /**
     * The date, for timestamps Kinesis compares with its records' arrival times (a LATEST iterator restarted
     * AT_TIMESTAMP): the wall clock, since a clock measuring durations may have been started before the wall clock
     * was set right.
     */
    Instant wallTime();

    /** Waits {@code duration} on the calling thread (a virtual time moves forward instead). */
    void sleep(Duration duration) throws InterruptedException;

    /**
     * Durations measured on {@code clock} (ConsumerConfig's clock: by default a {@link MonotonicClock}, read
     * straight from {@link System#nanoTime()}); dates from the system's wall clock; waits on the calling thread.
     */
    static Time of(Clock clock) {
        return new Time() {
            @Override
            public long nanoTime() {
                if (clock instanceof MonotonicClock m) {
                    return m.nanoTime();
                }
                Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public Instant wallTime() {
                return Instant.now();
            }

            @Override
            public void sleep(Duration duration) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(duration.toNanos());
            }

            @Override
            public String toString() {
                return "Time[" + clock + "]";
            }
        };
    }
}
