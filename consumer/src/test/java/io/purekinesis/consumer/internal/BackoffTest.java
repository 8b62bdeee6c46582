package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void capsFirstThenAppliesFullJitter() {
        Backoff atTop = Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.999999);
        assertEquals(99, atTop.delay(1).toMillis());
        assertEquals(199, atTop.delay(2).toMillis());
        assertEquals(399, atTop.delay(3).toMillis());
        assertEquals(999, atTop.delay(10).toMillis(), "capped at max, then jittered below it");
        Backoff half = Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.5);
        assertEquals(500, half.delay(30).toMillis(), "at the cap clients still spread out");
        assertEquals(0, Backoff.of(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.0).delay(5).toMillis());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Backoff.of(Duration.ZERO, Duration.ofSeconds(1), () -> 0));
        assertThrows(IllegalArgumentException.class,
                () -> Backoff.of(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0));
    }
}
