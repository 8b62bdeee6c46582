package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.samples.LocalEndpointsMain.Options;
import org.junit.jupiter.api.Test;

class LocalEndpointsMainTest {

    @Test
    void parsesStreamAndShards() {
        assertEquals(new Options("demo", 4), Options.parse(new String[] {"--stream", "demo", "--shards", "4"}));
        assertEquals(new Options(null, 1), Options.parse(new String[0]));
    }

    @Test
    void namesTheBadFlag() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--bogus", "1"}))
                .getMessage().contains("--bogus"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--shards", "0"}))
                .getMessage().contains("1..50"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse(new String[] {"--stream"}))
                .getMessage().contains("needs a value"));
    }
}
