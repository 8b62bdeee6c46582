package io.purekinesis.internal.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.kinesis.StreamNames.StreamRef;
import org.junit.jupiter.api.Test;

class StreamNamesTest {

    @Test
    void names() {
        assertEquals(new StreamRef("a", null, null, null), StreamNames.parse("a"));
        String longest = "A-b_c.9".repeat(19).substring(0, 128);
        assertEquals(longest, StreamNames.parse(longest).name());
        assertTrue(StreamNames.isName(longest));
        assertFalse(StreamNames.isName(longest + "x"));
        assertFalse(StreamNames.isName(""));
        assertFalse(StreamNames.isName(null));
        IllegalArgumentException space = assertThrows(IllegalArgumentException.class,
                () -> StreamNames.parse("has space"));
        assertEquals("stream must be a stream name of 1-128 characters [a-zA-Z0-9_.-] or a Kinesis stream ARN "
                + "(arn:aws:kinesis:REGION:ACCOUNT:stream/NAME), was 'has space' (9 characters)", space.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StreamNames.parse(null));
    }

    @Test
    void arns() {
        assertEquals(new StreamRef("orders", "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/orders", "cn-north-1",
                "123456789012"), StreamNames.parse("arn:aws-cn:kinesis:cn-north-1:123456789012:stream/orders"));
        assertThrows(IllegalArgumentException.class, () -> StreamNames.parse("arn:aws:kinesis:xx"));
        assertThrows(IllegalArgumentException.class,
                () -> StreamNames.parse("arn:aws:kinesis:us-east-1:12345:stream/short-account"));
        String huge = "arn:" + "x".repeat(300);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamNames.parse(huge));
        assertTrue(e.getMessage().endsWith("...' (304 characters)"), "long input cut in the message: "
                + e.getMessage());
    }
}
