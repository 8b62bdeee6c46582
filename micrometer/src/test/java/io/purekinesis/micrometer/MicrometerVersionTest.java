package io.purekinesis.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * Each surefire execution of this module names the Micrometer it runs the tests on (see the pom's matrix); this
 * fails an execution that silently ran on another one, which would leave the claimed range untested.
 */
class MicrometerVersionTest {

    @Test
    void runsOnTheMicrometerTheExecutionNames() {
        String expected = System.getProperty("purekinesis.expectedMicrometerVersion");
        assertNotNull(expected, "run by Maven: the pom sets purekinesis.expectedMicrometerVersion");
        assertEquals(expected, MeterRegistry.class.getPackage().getImplementationVersion(),
                "micrometer-core loaded from " + MeterRegistry.class.getProtectionDomain().getCodeSource());
    }
}
