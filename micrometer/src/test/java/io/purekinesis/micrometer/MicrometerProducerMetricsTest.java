package io.purekinesis.micrometer;

import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_BUFFERING_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_PUT;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_OUTSTANDING_BYTES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS_ENTRIES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_RETRIES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_THROTTLED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_DEAD_LETTERED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PENDING;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicrometerProducerMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void eachCallbackMovesItsMeterTaggedWithTheStream() {
        MicrometerProducerMetrics metrics = MicrometerProducerMetrics.builder(registry).build();

        metrics.userRecordsPut("orders", 7);
        metrics.userRecordsPut("orders", 3);
        metrics.userRecordsFailed("orders", 2);
        metrics.userRecordsDeadLettered("orders", 1);
        metrics.kinesisRecordsPut("orders", 4);
        metrics.putRecordsCall("orders", 6, 2, 35);
        metrics.putRecordsCall("orders", 4, 0, 15);
        metrics.retries("orders", 2);
        metrics.bufferingTime("orders", 120);
        metrics.throttled("orders", "shardId-000000000001");
        metrics.outstanding(12, 3400);

        assertEquals(10, count(PRODUCER_USER_RECORDS_PUT));
        assertEquals(2, count(PRODUCER_USER_RECORDS_FAILED));
        assertEquals(1, count(PRODUCER_USER_RECORDS_DEAD_LETTERED));
        assertEquals(4, count(PRODUCER_KINESIS_RECORDS_PUT));
        assertEquals(2, count(PRODUCER_KINESIS_RECORDS_FAILED));
        Timer calls = registry.get(PRODUCER_PUT_RECORDS).tag("stream", "orders").timer();
        assertEquals(2, calls.count());
        assertEquals(50, calls.totalTime(TimeUnit.MILLISECONDS), 0.001);
        assertEquals(35, calls.max(TimeUnit.MILLISECONDS), 0.001);
        assertEquals(2, registry.get(PRODUCER_PUT_RECORDS_ENTRIES).tag("stream", "orders").summary().count());
        assertEquals(10, registry.get(PRODUCER_PUT_RECORDS_ENTRIES).tag("stream", "orders").summary().totalAmount(),
                0.001);
        assertEquals(2, count(PRODUCER_RETRIES));
        Timer buffering = registry.get(PRODUCER_BUFFERING_TIME).tag("stream", "orders").timer();
        assertEquals(1, buffering.count());
        assertEquals(120, buffering.totalTime(TimeUnit.MILLISECONDS), 0.001);
        assertEquals(1, count(PRODUCER_THROTTLED));
        assertEquals(12, registry.get(PRODUCER_USER_RECORDS_PENDING).gauge().value());
        assertEquals(3400, registry.get(PRODUCER_OUTSTANDING_BYTES).gauge().value());

        metrics.outstanding(0, 0);
        assertEquals(0, registry.get(PRODUCER_USER_RECORDS_PENDING).gauge().value());
    }

    @Test
    void streamsHaveTheirOwnMetersUnlessTheStreamTagIsOff() {
        MicrometerProducerMetrics tagged = MicrometerProducerMetrics.builder(registry).build();
        tagged.userRecordsPut("a", 1);
        tagged.userRecordsPut("b", 2);
        assertEquals(1, registry.get(PRODUCER_USER_RECORDS_PUT).tag("stream", "a").counter().count());
        assertEquals(2, registry.get(PRODUCER_USER_RECORDS_PUT).tag("stream", "b").counter().count());

        SimpleMeterRegistry other = new SimpleMeterRegistry();
        MicrometerProducerMetrics untagged = MicrometerProducerMetrics.builder(other).streamTags(false).build();
        untagged.userRecordsPut("a", 1);
        untagged.userRecordsPut("b", 2);
        assertEquals(1, other.find(PRODUCER_USER_RECORDS_PUT).counters().size());
        assertEquals(3, other.get(PRODUCER_USER_RECORDS_PUT).counter().count());
        assertNull(other.get(PRODUCER_USER_RECORDS_PUT).counter().getId().getTag("stream"));
    }

    @Test
    void throttledIsPerShardOnlyWhenAskedFor() {
        MicrometerProducerMetrics bounded = MicrometerProducerMetrics.builder(registry).build();
        for (int shard = 0; shard < 1000; shard++) {
            bounded.throttled("orders", "shardId-" + shard);
        }
        assertEquals(1, registry.find(PRODUCER_THROTTLED).counters().size(), "one counter for a thousand shards");
        assertEquals(1000, count(PRODUCER_THROTTLED));

        SimpleMeterRegistry other = new SimpleMeterRegistry();
        MicrometerProducerMetrics perShard = MicrometerProducerMetrics.builder(other).perShardTags(true).build();
        perShard.throttled("orders", "shardId-1");
        perShard.throttled("orders", "shardId-1");
        perShard.throttled("orders", "shardId-2");
        assertEquals(2, other.get(PRODUCER_THROTTLED).tags("stream", "orders", "shard", "shardId-1").counter()
                .count());
        assertEquals(1, other.get(PRODUCER_THROTTLED).tags("stream", "orders", "shard", "shardId-2").counter()
                .count());
    }

    @Test
    void commonTagsAreOnEveryMeter() {
        MicrometerProducerMetrics metrics = MicrometerProducerMetrics.builder(registry)
                .commonTags(Tags.of("application", "billing")).build();
        metrics.userRecordsPut("orders", 1);
        metrics.bufferingTime("orders", 1);
        assertTrue(registry.getMeters().size() > 2);
        for (Meter m : registry.getMeters()) {
            assertEquals("billing", m.getId().getTag("application"), m.getId().toString());
        }
    }

    @Test
    void closeRemovesEveryMeterItRegistered() {
        MicrometerProducerMetrics metrics = MicrometerProducerMetrics.builder(registry).perShardTags(true).build();
        metrics.userRecordsPut("orders", 1);
        metrics.putRecordsCall("orders", 1, 0, 1);
        metrics.throttled("orders", "shardId-1");
        assertTrue(registry.getMeters().size() > 5);

        metrics.close();

        assertEquals(0, registry.getMeters().size(), registry.getMeters().toString());
    }

    @Test
    void aFailingRegistryNeverReachesTheProducer() {
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().startsWith("purekinesis.producer.user.records.put")) {
                    throw new IllegalStateException("broken filter");
                }
                return id;
            }
        });
        MicrometerProducerMetrics metrics = MicrometerProducerMetrics.builder(registry).build();
        assertThrows(IllegalStateException.class, () -> registry.counter(PRODUCER_USER_RECORDS_PUT),
                "the filter must break registration, or this test shows nothing");

        metrics.userRecordsPut("orders", 1);   // must not throw
        metrics.throttled("orders", "shardId-1");

        assertEquals(0, registry.find(PRODUCER_USER_RECORDS_PUT).counters().size());
    }

    @Test
    void builderRejectsNulls() {
        assertThrows(NullPointerException.class, () -> MicrometerProducerMetrics.builder(null));
        assertThrows(NullPointerException.class,
                () -> MicrometerProducerMetrics.builder(registry).commonTags(null));
    }

    private double count(String name) {
        return registry.get(name).tag("stream", "orders").counter().count();
    }
}
