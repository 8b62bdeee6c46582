package io.purekinesis.micrometer;

import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_BYTES_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_CHECKPOINT_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_HELD;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_LOST;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_STOLEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_TAKEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_MILLIS_BEHIND_LATEST;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_NON_TRANSIENT_FAILURES;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_DEAD_LETTERED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_OUTSIDE_HASH_RANGE;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SHARDS_ENDED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SHARDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SLOW_PROCESSOR_CALLS;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_UNUSABLE_LEASE_ROWS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicrometerConsumerMetricsTest {

    private static final String S1 = "shardId-000000000001";
    private static final String S2 = "shardId-000000000002";
    private static final String S3 = "shardId-000000000003";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void eachCallbackMovesItsMeterTaggedWithTheStream() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry).stream("orders").build();

        metrics.recordsProcessed(S1, 10, 1000);
        metrics.recordsProcessed(S2, 5, 500);
        metrics.millisBehindLatest(S1, 2500);
        metrics.recordsOutsideHashRange(S1, 3);
        metrics.leasesHeld(2);
        metrics.leaseTaken(S1);
        metrics.leaseTaken(S2);
        metrics.leaseStolen(S3, "worker-9");
        metrics.checkpointLatency(S1, Duration.ofMillis(40));
        metrics.recordsDeadLettered(S2, 4);
        metrics.shardFailed(S2, new IllegalStateException("boom"));
        metrics.unusableLeaseRow("bad-row", "not a lease");
        metrics.nonTransientFailure("kinesis:GetRecords", "stream orders", new IllegalStateException("denied"));
        metrics.nonTransientFailure("kinesis:GetRecords", "stream orders", new IllegalStateException("denied"));
        metrics.nonTransientFailure("dynamodb:Scan", "table app", new IllegalStateException("denied"));
        metrics.slowProcessorCall(S1, "processRecords", Duration.ofMinutes(1));

        assertEquals(15, count(CONSUMER_RECORDS_PROCESSED));
        assertEquals(1500, count(CONSUMER_BYTES_PROCESSED));
        assertEquals(2500, gauge(CONSUMER_MILLIS_BEHIND_LATEST));
        assertEquals(3, count(CONSUMER_RECORDS_OUTSIDE_HASH_RANGE));
        assertEquals(2, gauge(CONSUMER_LEASES_HELD));
        assertEquals(2, count(CONSUMER_LEASES_TAKEN));
        assertEquals(1, count(CONSUMER_LEASES_STOLEN));
        Timer checkpoint = registry.get(CONSUMER_CHECKPOINT_TIME).tag("stream", "orders").timer();
        assertEquals(1, checkpoint.count());
        assertEquals(40, checkpoint.totalTime(TimeUnit.MILLISECONDS), 0.001);
        assertEquals(4, count(CONSUMER_RECORDS_DEAD_LETTERED));
        assertEquals(1, count(CONSUMER_SHARDS_FAILED));
        assertEquals(1, count(CONSUMER_UNUSABLE_LEASE_ROWS));
        assertEquals(2, registry.get(CONSUMER_NON_TRANSIENT_FAILURES).tags("stream", "orders", "operation",
                "kinesis:GetRecords").counter().count());
        assertEquals(1, registry.get(CONSUMER_NON_TRANSIENT_FAILURES).tags("operation", "dynamodb:Scan").counter()
                .count());
        assertEquals(1, registry.get(CONSUMER_SLOW_PROCESSOR_CALLS).tags("call", "processRecords").counter()
                .count());

        metrics.leaseLost(S1);
        metrics.shardEnded(S2);
        assertEquals(1, count(CONSUMER_LEASES_LOST));
        assertEquals(1, count(CONSUMER_SHARDS_ENDED));
        assertEquals(15, count(CONSUMER_RECORDS_PROCESSED), "shared counters keep counting after a shard goes");
        assertEquals(0, gauge(CONSUMER_MILLIS_BEHIND_LATEST), "no shard held: no lag");
    }

    @Test
    void withoutShardTagsTheLagIsTheLargestOverTheShardsStillHeld() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry).build();
        for (int shard = 0; shard < 2000; shard++) {
            metrics.millisBehindLatest("shardId-" + shard, shard);
            metrics.recordsProcessed("shardId-" + shard, 1, 10);
        }
        int meters = registry.getMeters().size();
        assertEquals(1, registry.find(CONSUMER_MILLIS_BEHIND_LATEST).gauges().size());
        assertEquals(1999, registry.get(CONSUMER_MILLIS_BEHIND_LATEST).gauge().value());
        assertEquals(2000, registry.get(CONSUMER_RECORDS_PROCESSED).counter().count());

        metrics.leaseLost("shardId-1999");
        assertEquals(1998, registry.get(CONSUMER_MILLIS_BEHIND_LATEST).gauge().value());
        metrics.millisBehindLatest("shardId-5", 0);
        metrics.millisBehindLatest("shardId-6", 0);
        assertEquals(meters, registry.getMeters().size(), "meters do not grow with shards");
        assertNull(registry.get(CONSUMER_MILLIS_BEHIND_LATEST).gauge().getId().getTag("shard"));
    }

    @Test
    void perShardLagExistsWhileTheShardIsHeld() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry).stream("orders")
                .perShardTags(true).build();
        metrics.millisBehindLatest(S1, 100);
        metrics.millisBehindLatest(S2, 200);
        metrics.millisBehindLatest(S3, 300);
        metrics.recordsProcessed(S1, 2, 20);
        metrics.checkpointLatency(S1, Duration.ofMillis(5));
        assertEquals(100, shardGauge(S1));
        assertEquals(200, shardGauge(S2));
        assertEquals(2, registry.get(CONSUMER_RECORDS_PROCESSED).tags("shard", S1).counter().count());
        assertEquals(1, registry.get(CONSUMER_CHECKPOINT_TIME).tags("shard", S1).timer().count());

        metrics.leaseLost(S1);
        assertNull(registry.find(CONSUMER_MILLIS_BEHIND_LATEST).tags("shard", S1).gauge(), "lost: lag removed");
        assertNull(registry.find(CONSUMER_RECORDS_PROCESSED).tags("shard", S1).counter(), "and its counters");
        assertNull(registry.find(CONSUMER_CHECKPOINT_TIME).tags("shard", S1).timer());

        metrics.shardEnded(S2);
        assertNull(registry.find(CONSUMER_MILLIS_BEHIND_LATEST).tags("shard", S2).gauge(), "ended: removed");
        assertEquals(300, shardGauge(S3));
    }

    @Test
    void holdingFewerLeasesThanShardsLetsTheShardsReportedLongestAgoGo() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry).perShardTags(true).build();
        metrics.millisBehindLatest(S1, 100);
        metrics.millisBehindLatest(S2, 200);
        metrics.millisBehindLatest(S3, 300);
        metrics.millisBehindLatest(S1, 150);     // S2 is now the one reported on longest ago
        metrics.leasesHeld(3);
        assertEquals(3, registry.find(CONSUMER_MILLIS_BEHIND_LATEST).gauges().size());

        metrics.leasesHeld(2);                   // S2 was handed off to a peer: no leaseLost for it

        assertNull(registry.find(CONSUMER_MILLIS_BEHIND_LATEST).tags("shard", S2).gauge());
        assertEquals(150, shardGauge(S1));
        assertEquals(300, shardGauge(S3));

        metrics.millisBehindLatest(S2, 50);      // wrongly let go? its next report brings it back
        assertEquals(50, shardGauge(S2));
        metrics.leasesHeld(0);
        assertEquals(0, registry.find(CONSUMER_MILLIS_BEHIND_LATEST).gauges().size());
    }

    @Test
    void lagAndLeaseMetersCarryTheCommonTags() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry)
                .commonTags(Tags.of("application", "billing", "worker", "w1")).perShardTags(true).build();
        metrics.millisBehindLatest(S1, 1);
        metrics.leaseTaken(S1);
        for (Meter m : registry.getMeters()) {
            assertEquals("billing", m.getId().getTag("application"), m.getId().toString());
            assertEquals("w1", m.getId().getTag("worker"), m.getId().toString());
        }
        assertNotNull(registry.get(CONSUMER_MILLIS_BEHIND_LATEST).tags("shard", S1, "worker", "w1").gauge());
    }

    @Test
    void closeRemovesEveryMeterItRegistered() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry).perShardTags(true).build();
        metrics.millisBehindLatest(S1, 1);
        metrics.recordsProcessed(S2, 1, 1);
        metrics.nonTransientFailure("kinesis:GetRecords", "stream s", null);
        metrics.slowProcessorCall(S1, "initialize", Duration.ofMinutes(2));
        assertTrue(registry.getMeters().size() > 10);

        metrics.close();

        assertEquals(0, registry.getMeters().size(), registry.getMeters().toString());
    }

    @Test
    void aFailingRegistryNeverReachesTheConsumer() {
        MicrometerConsumerMetrics metrics = MicrometerConsumerMetrics.builder(registry).perShardTags(true).build();
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                throw new IllegalStateException("broken filter");
            }
        });
        assertThrows(IllegalStateException.class, () -> registry.counter("x"),
                "the filter must break registration, or this test shows nothing");

        metrics.recordsProcessed(S1, 1, 1);   // none of these may throw
        metrics.millisBehindLatest(S2, 1);
        metrics.checkpointLatency(S1, Duration.ZERO);
        metrics.nonTransientFailure("kinesis:GetRecords", "stream s", null);
        metrics.slowProcessorCall(S1, "processRecords", Duration.ofMinutes(1));
        metrics.leaseTaken(S1);

        assertEquals(1, count0(CONSUMER_LEASES_TAKEN), "meters registered before the failure still count");
    }

    @Test
    void builderRejectsNulls() {
        assertThrows(NullPointerException.class, () -> MicrometerConsumerMetrics.builder(null));
        assertThrows(NullPointerException.class, () -> MicrometerConsumerMetrics.builder(registry).commonTags(null));
    }

    private double count(String name) {
        return registry.get(name).tag("stream", "orders").counter().count();
    }

    private double count0(String name) {
        return registry.get(name).counter().count();
    }

    private double gauge(String name) {
        return registry.get(name).tag("stream", "orders").gauge().value();
    }

    private double shardGauge(String shard) {
        return registry.get(CONSUMER_MILLIS_BEHIND_LATEST).tags("shard", shard).gauge().value();
    }
}
