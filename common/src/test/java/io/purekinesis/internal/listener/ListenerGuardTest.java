package io.purekinesis.internal.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class ListenerGuardTest {

    private final RecordingLogger log = new RecordingLogger();
    private final ListenerGuard guard = new ListenerGuard(log, "ProducerMetrics");

    @Test
    void nothingTheListenerThrowsReachesTheCallerErrorsIncluded() {
        NoClassDefFoundError linkage = new NoClassDefFoundError("io/micrometer/core/instrument/Counter");
        guard.run("retries", () -> {
            throw linkage;
        });
        guard.run("retries", () -> {
            throw new IllegalStateException("again");
        });
        AtomicInteger ran = new AtomicInteger();
        guard.run("retries", ran::incrementAndGet);
        assertEquals(1, ran.get(), "a call that does not throw runs");
        assertEquals(1, log.at(Level.WARN).size(), "one WARN per method");
        assertEquals("ProducerMetrics.retries threw; ignored (further failures of ProducerMetrics.retries are "
                + "logged at DEBUG)", log.at(Level.WARN).get(0).message());
        assertSame(linkage, log.at(Level.WARN).get(0).thrown());
        assertEquals(1, log.at(Level.DEBUG).size(), "later failures at DEBUG");
    }

    @Test
    void eachMethodsFirstFailureIsWarnedAbout() {
        guard.failed("retries", new RuntimeException("1"));
        guard.failed("throttled", new RuntimeException("2"));
        guard.failed("throttled", new RuntimeException("3"));
        assertEquals(2, log.at(Level.WARN).size());
        assertEquals("ProducerMetrics.throttled threw; ignored", log.at(Level.DEBUG).get(0).message());
    }
}
