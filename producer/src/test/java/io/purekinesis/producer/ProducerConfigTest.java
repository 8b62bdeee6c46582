package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.time.MonotonicClock;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

class ProducerConfigTest {

    @Test
    void defaultsAreTheOnesKplUsersKnow() {
        ProducerConfig c = ProducerConfig.builder().build();
        assertEquals(Duration.ofMillis(100), c.recordMaxBufferedTime());
        assertTrue(c.aggregationEnabled());
        assertEquals(51_200, c.aggregationMaxSize());
        assertEquals(4_294_967_295L, c.aggregationMaxCount());
        assertEquals(500, c.collectionMaxCount());
        assertEquals(5L * 1024 * 1024, c.collectionMaxSize());
        assertEquals(Duration.ofSeconds(30), c.recordTtl());
        assertEquals(150, c.rateLimit());
        assertEquals(24, c.maxConcurrentRequests());
        assertEquals(Duration.ofSeconds(60), c.shardMapRefreshInterval());
        assertEquals(Duration.ofMinutes(5), c.streamIdleTimeout());
        assertEquals(256L * 1024 * 1024, c.maxOutstandingBytes());
        assertEquals(BackpressureMode.BLOCK, c.backpressure());
        assertEquals(Duration.ofMillis(100), c.retryBaseDelay());
        assertEquals(Duration.ofSeconds(5), c.retryMaxDelay());
        assertTrue(c.maxAttempts().isEmpty());
        assertFalse(c.strictOrdering());
        assertTrue(c.kinesisClient().isEmpty());
    }

    @Test
    void toBuilderCopiesEverything() {
        ProducerConfig c = ProducerConfig.builder().rateLimit(80).strictOrdering(true).maxAttempts(4)
                .region(Region.EU_WEST_1).build();
        ProducerConfig copy = c.toBuilder().build();
        assertEquals(c.toString(), copy.toString());
        assertEquals(5, c.toBuilder().maxAttempts(5).build().maxAttempts().getAsInt());
        assertEquals(4, c.maxAttempts().getAsInt(), "the original is immutable");
    }

    private static void assertRejected(Consumer<ProducerConfig.Builder> change, String... fragments) {
        ProducerConfig.Builder b = ProducerConfig.builder();
        change.accept(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' should contain '" + f + "'");
        }
    }

    @Test
    void badValuesAreRejectedNamingFieldValueAndRange() {
        assertRejected(b -> b.aggregationMaxSize(63), "aggregationMaxSize", "63", "[64, 1048576]");
        assertRejected(b -> b.aggregationMaxSize(2_000_000), "aggregationMaxSize", "2000000");
        assertRejected(b -> b.aggregationMaxCount(0), "aggregationMaxCount", "0");
        assertRejected(b -> b.aggregationMaxCount(4_294_967_296L), "aggregationMaxCount", "4294967296");
        assertRejected(b -> b.collectionMaxCount(501), "collectionMaxCount", "501", "[1, 500]");
        assertRejected(b -> b.collectionMaxSize(6L * 1024 * 1024), "collectionMaxSize", "5242880");
        assertRejected(b -> b.recordMaxBufferedTime(Duration.ofMillis(-1)), "recordMaxBufferedTime", "PT-0.001S");
        assertRejected(b -> b.recordTtl(Duration.ZERO), "recordTtl");
        assertRejected(b -> b.rateLimit(0), "rateLimit", "0");
        assertRejected(b -> b.maxConcurrentRequests(0), "maxConcurrentRequests");
        assertRejected(b -> b.maxOutstandingBytes(1000), "maxOutstandingBytes", "1000", "1048576");
        assertRejected(b -> b.maxOutstandingRecords(0), "maxOutstandingRecords");
        assertRejected(b -> b.maxAttempts(-1), "maxAttempts", "-1");
        assertRejected(b -> b.retryBaseDelay(Duration.ofSeconds(2)).retryMaxDelay(Duration.ofSeconds(1)),
                "retryMaxDelay", "retryBaseDelay");
        assertRejected(b -> b.shardMapRefreshInterval(Duration.ofMillis(10)), "shardMapRefreshInterval");
        assertRejected(b -> b.streamIdleTimeout(Duration.ofMillis(99)), "streamIdleTimeout", "PT0.099S");
        assertRejected(b -> b.producerName(" "), "producerName");
    }

    @Test
    void aSuppliedClientExcludesClientSettings() {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        assertRejected(b -> b.kinesisClient(fake).region(Region.US_EAST_1), "kinesisClient", "region");
        assertRejected(b -> b.kinesisClient(fake).endpointOverride(java.net.URI.create("http://localhost:1")),
                "endpointOverride");
    }

    @Test
    void theProducersDeadlinesAreOnAMonotonicClockByDefault() {
        // With the wall clock, an NTP step forward of a minute expired every buffered record at once (TTL 30 s),
        // and a step back kept records past their TTL for as long as the step.
        assertInstanceOf(MonotonicClock.class, ProducerConfig.builder().build().clock());
    }
}
