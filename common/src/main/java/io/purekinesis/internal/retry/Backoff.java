package io.purekinesis.internal.retry;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff, capped first, then with full jitter: the wait after attempt n (from 1) is uniform in
 * {@code [0, min(max, base * 2^(n-1))]}. Capping first means clients at the cap still spread out instead of all
 * waiting exactly the maximum and retrying together when load is worst. Each user picks its range (the producer's
 * retries, the consumer's fetch, lease and processor retries, checkpoint retries).
 *
 * <p>The only class that uses resilience4j (its capped exponential {@link IntervalFunction}); none of its types
 * leave this class.
 */
public final class Backoff {

    /** Beyond this the doubling has long passed any cap; keeps 2^(n-1) from overflowing. */
    private static final int MAX_DOUBLINGS = 62;

    private final IntervalFunction capped;
    private final RandomGenerator random;

    private Backoff(Duration base, Duration max, RandomGenerator random) {
        this.capped = IntervalFunction.ofExponentialBackoff(base.toMillis(), 2.0, max.toMillis());
        this.random = random;
    }

    /**
     * @param base the cap of the first wait, at least 1 ms
     * @param max the largest cap, at least {@code base}
     * @param random drawn under a lock (so a shared seeded generator gives one reproducible sequence); null for
     *     {@link ThreadLocalRandom}
     * @throws IllegalArgumentException naming both values when {@code base} is under 1 ms or above {@code max}
     */
    public static Backoff of(Duration base, Duration max, RandomGenerator random) {
        if (base.toMillis() < 1 || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 1 ms <= base <= max, was base " + base + ", max " + max);
        }
        return new Backoff(base, max, random);
    }

    /** The cap for attempt {@code attempt} (1 = the wait after the first failed attempt; below 1 counts as 1). */
    public long capMillis(int attempt) {
        return capped.apply(Math.max(1, Math.min(attempt, MAX_DOUBLINGS)));
    }

    /** A uniformly random wait in [0, {@link #capMillis}], in milliseconds. */
    public long delayMillis(int attempt) {
        long cap = capMillis(attempt);
        if (random == null) {
            return ThreadLocalRandom.current().nextLong(cap + 1);
        }
        synchronized (random) {
            return random.nextLong(cap + 1);
        }
    }

    /** {@link #delayMillis} as a duration. */
    public Duration delay(int attempt) {
        return Duration.ofMillis(delayMillis(attempt));
    }
}
