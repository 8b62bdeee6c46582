package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsumerRaceTest {

    @Test
    void resultLineFields() {
        Map<String, String> f = ConsumerRace.fields("RESULT records=230000 seconds=10.0065 cpu=3.06 peakRssKib=621068");
        assertEquals("230000", f.get("records"));
        assertEquals("10.0065", f.get("seconds"));
        assertEquals("621068", f.get("peakRssKib"));
        assertEquals(4, f.size());
    }

    @Test
    void cpuPerMillionAloneAndWithDynamoDbLocalApart() {
        Map<String, Double> apart = ConsumerRace.cpuPerMillion(
                ConsumerRace.fields("RESULT records=2000000 seconds=30 cpu=6.0 dynamoCpu=2.0 peakRssKib=1"));
        assertEquals(3.0, apart.get("cpuSecondsPerMillion"), 1e-9);
        assertEquals(4.0, apart.get("cpuSecondsPerMillionWithDynamoDb"), 1e-9);
        Map<String, Double> inside = ConsumerRace.cpuPerMillion(
                ConsumerRace.fields("RESULT records=2000000 seconds=30 cpu=6.0 peakRssKib=1"));
        assertEquals(3.0, inside.get("cpuSecondsPerMillion"), 1e-9);
        assertEquals(null, inside.get("cpuSecondsPerMillionWithDynamoDb"));
        assertTrue(ConsumerRace.cpuPerMillion(ConsumerRace.fields("RESULT records=0 cpu=1.0"))
                .get("cpuSecondsPerMillion").isNaN());
    }

    @Test
    void valuesSkipFailedRunsAndMedianTakesTheMiddle() {
        List<Map<String, Double>> runs = Arrays.asList(Map.of("x", 3.0), null, Map.of("x", Double.NaN),
                Map.of("x", 1.0), Map.of("y", 9.0), Map.of("x", 2.0), Map.of("x", 10.0));
        double[] x = ConsumerRace.values(runs, "x");
        assertArrayEquals(new double[] {1.0, 2.0, 3.0, 10.0}, x);
        assertEquals(2.5, ConsumerRace.median(x));
        assertEquals(2.0, ConsumerRace.median(new double[] {1.0, 2.0, 3.0}));
        assertEquals(0, ConsumerRace.values(null, "x").length);
    }
}
