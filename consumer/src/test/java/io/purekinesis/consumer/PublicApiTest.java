package io.purekinesis.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The public API fits a page: adding or removing a public type of the API package must be deliberate. */
class PublicApiTest {

    private static final Set<String> EXPECTED = Set.of(
            "Checkpointer", "CheckpointFailedException", "ConsumerConfig", "ConsumerConfig$Builder",
            "ConsumerConfig$ProcessorFailurePolicy", "ConsumerMetrics", "DeadLetterHandler",
            "ExtendedSequenceNumber", "InitialPosition", "InitializationInput", "InvalidCheckpointException",
            "KinesisConsumer", "KinesisConsumerException", "KinesisUserRecord", "LeaseLostException",
            "LeaseTableException", "ProcessRecordsInput", "RecordProcessor", "RecordProcessorFactory",
            "RetrievalMode", "StreamTracker");

    @Test
    void publicTypesOfTheApiPackage() throws IOException, ClassNotFoundException {
        Path dir = Paths.get("target/classes/io/purekinesis/consumer");
        Set<String> actual = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".class")) {
                    continue;
                }
                String simple = name.substring(0, name.length() - ".class".length());
                Class<?> c = Class.forName("io.purekinesis.consumer." + simple);
                if (Modifier.isPublic(c.getModifiers())) {
                    actual.add(simple);
                }
            }
        }
        assertEquals(new TreeSet<>(EXPECTED), actual);
    }
}
