package io.purekinesis.producer.internal.retry;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The retry schedule, and the only class that touches resilience4j: its capped exponential
 * {@link IntervalFunction} gives min(max, base * 2^(attempt-1)); then full jitter draws uniformly in [0, that].
 * Capping first means clients at the cap still spread out instead of all waiting exactly the maximum.
 */
public final class Backoff {

    private final IntervalFunction capped;
    private final RandomGenerator random;

    /** @param random drawn under a lock; null for {@link ThreadLocalRandom} */
    public Backoff(Duration base, Duration max, RandomGenerator random) {
        this.capped = IntervalFunction.ofExponentialBackoff(base.toMillis(), 2.0, max.toMillis());
        this.random = random;
    }

    /** The cap for attempt {@code attempt} (1 = the wait after the first failed attempt). */
    public long capMillis(int attempt) {
        return capped.apply(Math.max(1, Math.min(attempt, 62)));
    }

    /** A uniformly random wait in [0, {@link #capMillis}]. */
    public long delayMillis(int attempt) {
        long cap = capMillis(attempt);
        if (cap <= 0) {
            return 0;
        }
        if (random == null) {
            return ThreadLocalRandom.current().nextLong(cap + 1);
        }
        synchronized (random) {
            return random.nextLong(cap + 1);
        }
    }
}
