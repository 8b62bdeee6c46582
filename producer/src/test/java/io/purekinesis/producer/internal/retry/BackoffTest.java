package io.purekinesis.producer.internal.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.FakeKinesisClient;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

class BackoffTest {

    @Test
    void capFirstThenFullJitter() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(7));
        assertEquals(100, backoff.capMillis(1));
        assertEquals(200, backoff.capMillis(2));
        assertEquals(400, backoff.capMillis(3));
        assertEquals(5000, backoff.capMillis(7));
        assertEquals(5000, backoff.capMillis(50));
        Set<Long> atCap = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            long d = backoff.delayMillis(20);
            assertTrue(d >= 0 && d <= 5000);
            atCap.add(d);
        }
        assertTrue(atCap.size() > 150, "at the cap, waits still spread out");
    }

    @Test
    void noOverflowAfterManyAttemptsWithTheLargestSettings() {
        Backoff backoff = new Backoff(Duration.ofHours(1), Duration.ofHours(1), new SplittableRandom(5));
        for (int attempt : new int[] {-5, 0, 1, 2, 30, 62, 63, 64, 1000, Integer.MAX_VALUE}) {
            assertEquals(3_600_000, backoff.capMillis(attempt), "attempt " + attempt);
            long d = backoff.delayMillis(attempt);
            assertTrue(d >= 0 && d <= 3_600_000, "attempt " + attempt + ": " + d);
        }
        Backoff small = new Backoff(Duration.ofMillis(1), Duration.ofHours(1), new SplittableRandom(5));
        for (int attempt = 1; attempt < 200; attempt++) {
            long cap = small.capMillis(attempt);
            assertTrue(cap >= 1 && cap <= 3_600_000, "attempt " + attempt + ": " + cap);
            assertTrue(attempt == 1 || cap >= small.capMillis(attempt - 1), "never shrinks at " + attempt);
        }
    }

    @Test
    void sameSeedSameSchedule() {
        Backoff a = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(3));
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(3));
        for (int i = 1; i < 10; i++) {
            assertEquals(a.delayMillis(i), b.delayMillis(i));
        }
    }

    @Test
    void retriabilityIsDecidedInOnePlace() {
        for (String code : new String[] {"ProvisionedThroughputExceededException", "InternalFailure",
                "KMSThrottlingException", "ThrottlingException", "ServiceUnavailable"}) {
            assertTrue(RetryPolicy.isRetryable(code, null), code);
        }
        for (String code : new String[] {"ValidationException", "InvalidArgumentException", "AccessDeniedException",
                "ResourceNotFoundException", "KMSDisabledException", "KMSNotFoundException",
                "KMSAccessDeniedException", "KMSInvalidStateException", "KMSOptInRequired"}) {
            assertFalse(RetryPolicy.isRetryable(code, null), code);
            assertFalse(RetryPolicy.isRetryable(code, FakeKinesisClient.serviceError(code, 400)), code);
        }
        assertTrue(RetryPolicy.isRetryable("InternalFailure", FakeKinesisClient.serviceError("InternalFailure", 500)));
        assertTrue(RetryPolicy.isRetryable(null, new CompletionException(SdkClientException.create("reset"))));
        assertTrue(RetryPolicy.isRetryable(null, new TimeoutException()));
        assertTrue(RetryPolicy.isRetryable(null, new IOException("Connection reset")));
        assertFalse(RetryPolicy.isRetryable(null, new NullPointerException()));
        assertEquals("InternalFailure",
                RetryPolicy.errorCode(new CompletionException(FakeKinesisClient.serviceError("InternalFailure", 500))));
        assertEquals("TimeoutException", RetryPolicy.errorCode(new TimeoutException()));
    }
}
