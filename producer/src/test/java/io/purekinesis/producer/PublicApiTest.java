package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The public API fits a page: changing it must be deliberate. */
class PublicApiTest {

    private static final Set<String> EXPECTED = Set.of(
            "Attempt", "BackpressureMode", "BufferFullException", "DeadLetterHandler", "FailedRecord",
            "FailureReason", "KinesisProducer", "KinesisProducerException", "ProducerClosedException",
            "ProducerConfig", "ProducerConfig$Builder", "ProducerMetrics", "RecordExpiredException",
            "RecordFailedException", "RecordResult", "RecordTooLargeException");

    @Test
    void publicTypesOfTheApiPackage() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = Path.of(KinesisProducer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("io/purekinesis/producer");
        Set<String> actual = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".class")) {
                    continue;
                }
                String simple = name.substring(0, name.length() - ".class".length());
                Class<?> c = Class.forName("io.purekinesis.producer." + simple);
                if (Modifier.isPublic(c.getModifiers()) && !c.isAnonymousClass()) {
                    actual.add(simple);
                }
            }
        }
        assertEquals(new TreeSet<>(EXPECTED), actual);
    }

    /** Users switch on the reasons: a new one (NOT_AUTHORIZED, issue 12) is an API change too. */
    @Test
    void failureReasons() {
        assertEquals(List.of("NON_RETRYABLE_ERROR", "STREAM_NOT_FOUND", "NOT_AUTHORIZED", "TTL_EXPIRED",
                "MAX_ATTEMPTS_EXHAUSTED", "PRODUCER_CLOSED"),
                Arrays.stream(FailureReason.values()).map(Enum::name).toList());
    }
}
