package io.purekinesis.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.time.MonotonicClock;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

class ConsumerConfigTest {

    private static ConsumerConfig.Builder minimal() {
        return ConsumerConfig.builder().applicationName("app").streamName("stream");
    }

    @Test
    void defaultsMatchTheDocumentation() {
        ConsumerConfig c = minimal().build();
        assertEquals("app", c.leaseTableName());
        assertEquals(Duration.ofSeconds(10), c.failoverTime());
        assertEquals(Duration.ofSeconds(1), c.heartbeatInterval());
        assertEquals(Duration.ofSeconds(1), c.monitorInterval());
        assertEquals(Duration.ofMinutes(5), c.fullScanInterval());
        assertEquals(100, c.maxLeasesToMoveAtOneTime());
        assertEquals(Duration.ofSeconds(10), c.gracefulHandoffTimeout());
        assertEquals("app-workers", c.workerTableName());
        assertEquals(10_000, c.maxRecords());
        assertEquals(Duration.ofSeconds(1), c.idleTimeBetweenReads());
        assertEquals(Duration.ofMillis(200), c.minTimeBetweenReads());
        assertEquals(InitialPosition.latest(), c.initialPosition());
        assertEquals(ConsumerConfig.ProcessorFailurePolicy.STOP_SHARD, c.processorFailurePolicy());
        assertEquals(ConsumerMetrics.NOOP, c.metrics());
        assertTrue(c.workerId().length() > 36, c.workerId());
        assertTrue(c.kinesisClient().isEmpty());
    }

    @Test
    void derivedDefaultsFollowFailoverTime() {
        ConsumerConfig c = minimal().failoverTime(Duration.ofMillis(1500)).leaseTableName("leases").build();
        assertEquals(Duration.ofMillis(500), c.heartbeatInterval());
        assertEquals(Duration.ofMillis(500), c.monitorInterval());
        assertEquals(Duration.ofMillis(1500), c.gracefulHandoffTimeout());
        assertEquals("leases", c.leaseTableName());
        assertEquals("leases-workers", c.workerTableName());
    }

    @Test
    void toBuilderKeepsSettingsAndDerivedDefaultsStayDerived() {
        ConsumerConfig c = minimal().workerId("w1").failoverTime(Duration.ofMillis(1500)).build();
        ConsumerConfig d = c.toBuilder().failoverTime(Duration.ofSeconds(6)).build();
        assertEquals("w1", d.workerId());
        assertEquals("stream", d.streamName());
        assertEquals(Duration.ofSeconds(1), d.heartbeatInterval());
        assertEquals(Duration.ofSeconds(6), d.gracefulHandoffTimeout());
    }

    private static void assertRejected(ConsumerConfig.Builder b, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage() + " should mention " + f);
        }
    }

    @Test
    void validationNamesFieldValueAndRange() {
        assertRejected(ConsumerConfig.builder().streamName("s"), "applicationName", "null");
        assertRejected(ConsumerConfig.builder().applicationName("a").streamName(" "), "streamName");
        assertRejected(minimal().maxRecords(0), "maxRecords", "1", "10000", "was 0");
        assertRejected(minimal().maxRecords(10_001), "maxRecords", "was 10001");
        assertRejected(minimal().failoverTime(Duration.ofMillis(10)), "failoverTime", "PT0.01S");
        assertRejected(minimal().failoverTime(Duration.ofSeconds(3)).heartbeatInterval(Duration.ofSeconds(2)),
                "heartbeatInterval", "PT1.5S", "was PT2S");
        assertRejected(minimal().monitorInterval(Duration.ofSeconds(11)), "monitorInterval", "PT10S");
        assertRejected(minimal().fullScanInterval(Duration.ofMillis(10)), "fullScanInterval", "PT1S");
        assertRejected(minimal().workerTableName("x"), "workerTableName", "'x'");
        assertRejected(minimal().minTimeBetweenReads(Duration.ofMillis(100)), "minTimeBetweenReads", "PT0.2S");
        assertRejected(minimal().maxLeasesToMoveAtOneTime(0), "maxLeasesToMoveAtOneTime");
        assertRejected(minimal().processorMaxAttempts(0), "processorMaxAttempts");
        assertRejected(minimal().processorRetryBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1)),
                "processorRetryBackoffBase");
        assertRejected(minimal().processorFailurePolicy(ConsumerConfig.ProcessorFailurePolicy.DEAD_LETTER),
                "DEAD_LETTER", "deadLetterHandler");
    }

    @Test
    void clientAndEndpointConflict() {
        KinesisAsyncClient client = org.mockito.Mockito.mock(KinesisAsyncClient.class);
        assertRejected(minimal().kinesisClient(client).kinesisEndpoint(URI.create("http://localhost:1")),
                "kinesisEndpoint", "kinesisClient");
    }

    @Test
    void initialPositions() {
        assertEquals(ExtendedSequenceNumber.TRIM_HORIZON, InitialPosition.trimHorizon().sentinel());
        InitialPosition at = InitialPosition.atTimestamp(java.time.Instant.EPOCH);
        assertEquals(ExtendedSequenceNumber.AT_TIMESTAMP, at.sentinel());
        assertEquals(java.time.Instant.EPOCH, at.timestamp().orElseThrow());
    }

    @Test
    void leaseExpiryIsMeasuredOnAMonotonicClockByDefault() {
        // Lease expiry is "counter unchanged for failoverTime". On the wall clock an NTP step or a VM resume
        // forward makes every peer's lease look expired at once (mass takeover, two workers per shard); a step
        // back keeps a dead worker's shards stalled for as long as the step.
        ConsumerConfig c = ConsumerConfig.builder().applicationName("app").streamName("s").build();
        assertTrue(c.clock() instanceof MonotonicClock, "default clock " + c.clock());
    }

    @Test
    void fanOutDefaultsToPollingAndNamesItsConsumerAfterTheApplication() {
        assertEquals(RetrievalMode.POLLING, minimal().build().retrievalMode());
        ConsumerConfig c = minimal().retrievalMode(RetrievalMode.FAN_OUT).build();
        assertEquals("app", c.fanOutConsumerName());
        assertTrue(c.fanOutConsumerArn().isEmpty());
        assertEquals(RetrievalMode.FAN_OUT, c.toBuilder().build().retrievalMode());
        String arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/stream/consumer/other:1700000000";
        assertEquals(arn, minimal().retrievalMode(RetrievalMode.FAN_OUT).fanOutConsumerArn(arn).build()
                .fanOutConsumerArn().orElseThrow());
    }

    @Test
    void fanOutSettingsAreChecked() {
        assertMessage(minimal().fanOutConsumerName("x"), "fanOutConsumerName is set, but retrievalMode is POLLING");
        assertMessage(fanOut().fanOutConsumerName("bad name"), "fanOutConsumerName must be 1-128");
        assertMessage(fanOut().fanOutConsumerArn("arn:nope"), "fanOutConsumerArn must be a stream "
                + "consumer's ARN");
        assertMessage(fanOut().fanOutConsumerArn(
                "arn:aws:kinesis:eu-west-1:123456789012:stream/other/consumer/c:1"), "is a consumer of stream other");
        assertMessage(fanOut().fanOutConsumerName("n").fanOutConsumerArn(
                "arn:aws:kinesis:eu-west-1:123456789012:stream/stream/consumer/c:1"), "conflicts with");
        assertMessage(minimal().retrievalMode(null), "retrievalMode must not be null");
    }

    private static ConsumerConfig.Builder fanOut() {
        return minimal().retrievalMode(RetrievalMode.FAN_OUT);
    }

    private static void assertMessage(ConsumerConfig.Builder b, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void multiStreamSettingsAreCheckedAtBuild() {
        ConsumerConfig.Builder app = ConsumerConfig.builder().applicationName("app");
        ConsumerConfig fixed = app.streams("a", "arn:aws:kinesis:eu-west-1:123456789012:stream/b").build();
        assertTrue(fixed.isMultiStream());
        assertEquals(java.util.List.of("a", "arn:aws:kinesis:eu-west-1:123456789012:stream/b"),
                fixed.streamTracker().orElseThrow().streams());
        assertEquals(null, fixed.streamName());
        assertEquals(ConsumerConfig.DEFAULT_STREAM_DISCOVERY_INTERVAL, fixed.streamDiscoveryInterval());
        assertRejected(ConsumerConfig.builder().applicationName("app"), "streamName is required", "streamTracker");
        assertRejected(ConsumerConfig.builder().applicationName("app").streamName("s").streams("a"), "streamName",
                "streams");
        assertRejected(ConsumerConfig.builder().applicationName("app").streams("a").streamTracker(() -> null),
                "streams", "streamTracker");
        assertRejected(ConsumerConfig.builder().applicationName("app").streams(java.util.List.of()), "streams",
                "at least one");
        assertRejected(ConsumerConfig.builder().applicationName("app").streams("a",
                "arn:aws:kinesis:eu-west-1:123456789012:stream/a"), "streams", "twice");
        assertRejected(ConsumerConfig.builder().applicationName("app").streams("a", "bad name"), "streams",
                "'bad name'");
        assertRejected(ConsumerConfig.builder().applicationName("app").streamTracker(() -> null)
                .streamDiscoveryInterval(Duration.ofMillis(1)), "streamDiscoveryInterval");
        assertRejected(ConsumerConfig.builder().applicationName("app").streams("a")
                .retrievalMode(RetrievalMode.FAN_OUT)
                .fanOutConsumerArn("arn:aws:kinesis:eu-west-1:123456789012:stream/a/consumer/c:1"),
                "fanOutConsumerArn", "multi-stream", "fanOutConsumerName");
        assertEquals(RetrievalMode.FAN_OUT, ConsumerConfig.builder().applicationName("app").streams("a")
                .retrievalMode(RetrievalMode.FAN_OUT).build().retrievalMode());
    }

    @Test
    void aSingleStreamMayBeGivenByArn() {
        ConsumerConfig c = ConsumerConfig.builder().applicationName("app")
                .streamName("arn:aws:kinesis:eu-west-1:123456789012:stream/orders").build();
        assertEquals("orders", c.streamName());
        assertEquals("arn:aws:kinesis:eu-west-1:123456789012:stream/orders", c.streamArn().orElseThrow());
        assertTrue(!c.isMultiStream());
        assertRejected(ConsumerConfig.builder().applicationName("app").streamName("arn:aws:kinesis:x"),
                "streamName", "ARN");
    }
}
