package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

/** Flags of ProducerApp and ConsumerApp: defaults, and errors that name the flag. */
class AppOptionsTest {

    @Test
    void producerDefaultsAndValues() {
        ProducerApp.Options o = ProducerApp.Options.parse(new String[] {"--stream", "orders", "--region", "eu-west-1",
                "--rate", "250", "--record-size", "512", "--duration", "90s"});
        assertEquals("orders", o.stream());
        assertEquals(Optional.of(Region.EU_WEST_1), o.connection().region());
        assertFalse(o.connection().local());
        assertTrue(o.connection().credentials().isEmpty(), "real AWS: the default credentials chain");
        assertEquals(250, o.rate());
        assertEquals(512, o.recordSize());
        assertEquals(Optional.of(Duration.ofSeconds(90)), o.duration());

        ProducerApp.Options local = ProducerApp.Options.parse(new String[] {"--stream", "s", "--endpoint",
                "http://localhost:4568", "--records", "10"});
        assertTrue(local.connection().local());
        assertEquals(Optional.of(Region.US_EAST_1), local.connection().region());
        assertTrue(local.connection().credentials().isPresent());
        assertEquals(10, local.records());
        assertEquals(100, local.rate());
    }

    @Test
    void producerErrorsNameTheFlag() {
        assertMessage("--stream is required", () -> ProducerApp.Options.parse(new String[0]));
        assertMessage("--rate", () -> ProducerApp.Options.parse(new String[] {"--stream", "s", "--rate", "fast"}));
        assertMessage("--record-size", () -> ProducerApp.Options.parse(new String[] {"--stream", "s",
                "--record-size", "5"}));
        assertMessage("--region", () -> ProducerApp.Options.parse(new String[] {"--stream", "s", "--region",
                "Ireland"}));
        assertMessage("--endpoint", () -> ProducerApp.Options.parse(new String[] {"--stream", "s", "--endpoint",
                "localhost:4568"}));
        assertMessage("--duration", () -> ProducerApp.Options.parse(new String[] {"--stream", "s", "--duration",
                "soon"}));
        assertMessage("--strem", () -> ProducerApp.Options.parse(new String[] {"--strem", "s"}));
        assertMessage("--stream needs a value", () -> ProducerApp.Options.parse(new String[] {"--stream"}));
        assertMessage("given twice", () -> ProducerApp.Options.parse(new String[] {"--stream", "a", "--stream",
                "b"}));
    }

    @Test
    void consumerOptions() {
        ConsumerApp.Options o = ConsumerApp.Options.parse(new String[] {"--stream", "s", "--application-name", "app",
                "--endpoint", "http://127.0.0.1:4568", "--dynamodb-endpoint", "http://127.0.0.1:8000",
                "--initial-position", "trim-horizon", "--records", "5"});
        assertEquals("app", o.applicationName());
        assertEquals(Optional.of(URI.create("http://127.0.0.1:8000")), o.dynamoDbEndpoint());
        assertEquals("TRIM_HORIZON", o.initialPosition().toString());
        assertEquals(5, o.records());
        assertEquals(io.purekinesis.consumer.RetrievalMode.POLLING, o.retrievalMode());
        assertEquals(io.purekinesis.consumer.RetrievalMode.FAN_OUT, ConsumerApp.Options.parse(new String[] {
                "--stream", "s", "--application-name", "a", "--retrieval", "fan-out"}).retrievalMode());
        assertMessage("--retrieval", () -> ConsumerApp.Options.parse(new String[] {"--stream", "s",
                "--application-name", "a", "--retrieval", "push"}));
        assertMessage("--application-name", () -> ConsumerApp.Options.parse(new String[] {"--stream", "s"}));
        assertMessage("--dynamodb-endpoint", () -> ConsumerApp.Options.parse(new String[] {"--stream", "s",
                "--application-name", "a", "--endpoint", "http://127.0.0.1:4568"}));
        assertMessage("--initial-position", () -> ConsumerApp.Options.parse(new String[] {"--stream", "s",
                "--application-name", "a", "--initial-position", "oldest"}));
    }

    @Test
    void consumerStreamsOption() {
        ConsumerApp.Options single = ConsumerApp.Options.parse(new String[] {"--stream", "s", "--application-name",
                "app"});
        assertEquals(java.util.List.of("s"), single.streams());
        assertEquals(false, single.multiStream());
        ConsumerApp.Options multi = ConsumerApp.Options.parse(new String[] {"--streams", "a, b,c",
                "--application-name", "app"});
        assertEquals(java.util.List.of("a", "b", "c"), multi.streams());
        assertEquals(true, multi.multiStream());
        assertEquals(true, ConsumerApp.Options.parse(new String[] {"--streams", "a", "--application-name", "app"})
                .multiStream());
        assertMessage("exclude each other", () -> ConsumerApp.Options.parse(new String[] {"--stream", "s",
                "--streams", "a,b", "--application-name", "app"}));
        assertMessage("--stream (or --streams", () -> ConsumerApp.Options.parse(new String[] {
                "--application-name", "app"}));
        assertMessage("separated by commas", () -> ConsumerApp.Options.parse(new String[] {"--streams", "a,,b",
                "--application-name", "app"}));
        assertMessage("twice", () -> ConsumerApp.Options.parse(new String[] {"--streams", "a,b,a",
                "--application-name", "app"}));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
