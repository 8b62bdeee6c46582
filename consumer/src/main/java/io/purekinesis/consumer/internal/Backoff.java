package io.purekinesis.consumer.internal;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff, capped first, then with full jitter: attempt n waits uniformly in
 * {@code [0, min(max, base * 2^(n-1))]}, so clients at the cap never re-synchronise. The only place that uses
 * resilience4j (its exponential schedule); none of its types leave this class.
 */
public final class Backoff {

    private final IntervalFunction schedule;
    private final DoubleSupplier random;

    private Backoff(Duration base, Duration max, DoubleSupplier random) {
        this.schedule = IntervalFunction.ofExponentialBackoff(base, 2.0, max);
        this.random = random;
    }

    /** @param random uniform in [0, 1), injected for tests */
    public static Backoff of(Duration base, Duration max, DoubleSupplier random) {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= max, was base " + base + ", max " + max);
        }
        return new Backoff(base, max, random);
    }

    /** The wait before attempt {@code attempt + 1}, after {@code attempt} (from 1) failures. */
    public Duration delay(int attempt) {
        long capped = schedule.apply(Math.max(1, attempt));
        return Duration.ofMillis((long) (random.getAsDouble() * capped));
    }
}
