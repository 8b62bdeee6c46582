package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.samples.LocalEndpointsMain.Options;
import org.junit.jupiter.api.Test;

class LocalEndpointsMainTest {

    @Test
    void parsesStreamShardsAndPorts() {
        assertEquals(new Options("demo", 4, 0, 0), Options.parse(new String[] {"--stream", "demo", "--shards", "4"}));
        assertEquals(new Options(null, 1, 0, 0), Options.parse(new String[0]));
        assertEquals(new Options("demo", 1, 4567, 8000), Options.parse(new String[] {"--kinesis-port", "4567",
                "--dynamodb-port", "8000", "--stream", "demo"}));
    }

    @Test
    void namesTheBadFlag() {
        assertMessage("--bogus", "--bogus", "1");
        assertMessage("--shards must be in [1, 50]", "--stream", "s", "--shards", "0");
        assertMessage("--shards needs --stream", "--shards", "2");
        assertMessage("needs a value", "--stream");
        assertMessage("--kinesis-port must be in [1, 65535]", "--kinesis-port", "70000");
        assertMessage("--dynamodb-port must be a whole number", "--dynamodb-port", "x");
    }

    private static void assertMessage(String expected, String... args) {
        String message = assertThrows(IllegalArgumentException.class, () -> Options.parse(args)).getMessage();
        assertTrue(message.contains(expected), message);
    }
}
