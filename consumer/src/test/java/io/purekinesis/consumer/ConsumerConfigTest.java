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
        assertEquals(Duration.ofMillis(3333), c.leaseRenewalInterval());
        assertEquals(c.leaseRenewalInterval(), c.leaseScanInterval());
        assertEquals(1, c.maxLeasesToStealAtOneTime());
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
        ConsumerConfig c = minimal().failoverTime(Duration.ofSeconds(3)).leaseTableName("leases").build();
        assertEquals(Duration.ofSeconds(1), c.leaseRenewalInterval());
        assertEquals("leases", c.leaseTableName());
    }

    @Test
    void toBuilderKeepsSettingsAndDerivedDefaultsStayDerived() {
        ConsumerConfig c = minimal().workerId("w1").failoverTime(Duration.ofSeconds(3)).build();
        ConsumerConfig d = c.toBuilder().failoverTime(Duration.ofSeconds(6)).build();
        assertEquals("w1", d.workerId());
        assertEquals("stream", d.streamName());
        assertEquals(Duration.ofSeconds(2), d.leaseRenewalInterval());
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
        assertRejected(minimal().failoverTime(Duration.ofSeconds(3)).leaseRenewalInterval(Duration.ofSeconds(3)),
                "leaseRenewalInterval", "failoverTime");
        assertRejected(minimal().minTimeBetweenReads(Duration.ofMillis(100)), "minTimeBetweenReads", "PT0.2S");
        assertRejected(minimal().maxLeasesToStealAtOneTime(0), "maxLeasesToStealAtOneTime");
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
}
