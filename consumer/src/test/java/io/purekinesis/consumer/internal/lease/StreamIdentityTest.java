package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StreamIdentityTest {

    private static final String ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
    private static final Instant CREATED = Instant.parse("2026-03-04T05:06:07.123Z");

    @Test
    void theSameStreamWhateverPrecisionTheClientDecodedItsCreationTimeWith() {
        StreamIdentity a = new StreamIdentity(ARN, CREATED);
        assertTrue(a.isSameStreamAs(new StreamIdentity(ARN, CREATED.plusNanos(456_000))));
        assertFalse(a.isRecreationOf(new StreamIdentity(ARN, CREATED.plusNanos(456_000))));
        assertEquals("orders", a.streamName());
    }

    @Test
    void aStreamCreatedAgainEvenWithinTheSameSecondIsAnotherStream() {
        StreamIdentity a = new StreamIdentity(ARN, CREATED);
        StreamIdentity again = new StreamIdentity(ARN, CREATED.plusMillis(60));
        assertFalse(a.isSameStreamAs(again));
        assertTrue(a.isRecreationOf(again));
        StreamIdentity other = new StreamIdentity(ARN.replace("orders", "payments"), CREATED);
        assertFalse(a.isSameStreamAs(other));
        assertFalse(a.isRecreationOf(other), "another stream, not a re-creation");
    }
}
