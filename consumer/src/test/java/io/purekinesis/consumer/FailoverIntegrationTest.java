package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.FAILOVER;
import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.Positions;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/** A worker dies (no release) or shuts down gracefully; a peer takes over its shards. */
@ExtendWith(LocalEndpointsExtension.class)
class FailoverIntegrationTest {

    /** Deleted after each test: the emulator allows 50 open shards, and the module's tests share it. */
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    private static final int SHARDS = 4;
    private static final int PER_SHARD = 150;
    private static final Duration HANDOFF_TEST_FAILOVER = Duration.ofSeconds(30);

    @ParameterizedTest
    @EnumSource(RetrievalMode.class)
    void crashedWorkersShardsAreTakenOverWithinFailoverTimeLosingNothing(RetrievalMode mode,
            LocalEndpoints endpoints, KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "crash", SHARDS);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-crash");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        recorder.processingDelayMillis = 50;
        ConsumerConfig c1 = config(endpoints, kinesis, dynamo, app, stream, "w1", mode).maxRecords(10).build();
        KinesisConsumer w1 = new KinesisConsumer(c1, recorder.factory("w1"));
        KinesisConsumer w2 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w2", mode)
                .build(), recorder.factory("w2"));
        try {
            w1.start();
            await("w1 processing all shards", Duration.ofSeconds(30), () -> w1.activeShards().size() == SHARDS
                    && recorder.distinct() >= 100);
            w1.halt(); // like kill -9: no callbacks, no checkpoints, no release
            long killed = System.nanoTime();
            // w1's in-flight batches (which can no longer checkpoint) finish: a shard leaves activeShards when its
            // consumer's last processor call has returned, and checkpoints are written inside those calls
            await("w1's in-flight batches finished", Duration.ofSeconds(30), () -> w1.activeShards().isEmpty());
            Map<String, ExtendedSequenceNumber> w1Checkpoints = new HashMap<>();
            recorder.lastCheckpoint.forEach((k, v) -> {
                if (k.startsWith("w1/")) {
                    w1Checkpoints.put(k.substring(3), v);
                }
            });
            int beforeKill = recorder.distinct();
            recorder.processingDelayMillis = 0;

            w2.start();
            await("w2 took over", Duration.ofSeconds(30), () -> w2.activeShards().size() == SHARDS);
            long takeoverMillis = (System.nanoTime() - killed) / 1_000_000;
            await("all records processed", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());

            List<String> duplicates = recorder.duplicates();
            System.out.printf("crash: %d records before the kill, takeover after %d ms (failover %d ms + renewal "
                    + "%d ms), %d duplicates (all after w1's last checkpoints %s)%n", beforeKill, takeoverMillis,
                    FAILOVER.toMillis(), c1.leaseRenewalInterval().toMillis(), duplicates.size(), w1Checkpoints);
            // not before the failover time (w2 must see the leases unrenewed that long), and within it plus a scan
            // interval, w2's start-up and slack for a loaded machine
            assertTrue(takeoverMillis >= FAILOVER.toMillis(), "taken over after " + takeoverMillis + " ms, before "
                    + "the failover time");
            long allowed = FAILOVER.plus(c1.leaseRenewalInterval()).toMillis() + 10_000;
            assertTrue(takeoverMillis <= allowed, "takeover took " + takeoverMillis + " ms, allowed " + allowed);
            assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
            for (String data : duplicates) {
                String[] pos = recorder.positions.get(data).split("@");
                ExtendedSequenceNumber checkpoint = w1Checkpoints.getOrDefault(pos[0],
                        ExtendedSequenceNumber.TRIM_HORIZON);
                assertTrue(Positions.compare(ExtendedSequenceNumber.of(pos[1], 0), checkpoint) > 0,
                        data + " was delivered twice although it was at or before w1's checkpoint " + checkpoint);
                assertEquals(List.of("w1", "w2"), recorder.deliveredBy.get(data), data);
            }
            assertEquals(List.of(), recorder.sameInstanceDuplicates);
        } finally {
            w1.halt();
            w2.shutdown().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(RetrievalMode.class)
    void gracefulShutdownHandsLeasesToAPeerWithoutDuplicates(RetrievalMode mode, LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "graceful", SHARDS);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-graceful");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        recorder.processingDelayMillis = 50;
        // a failover time far above a handoff's: a takeover quicker than it cannot come from leases expiring,
        // however loaded the machine; renewals and scans as often as with the short failover time of the others
        KinesisConsumer w1 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1", mode)
                .failoverTime(HANDOFF_TEST_FAILOVER).leaseRenewalInterval(Duration.ofSeconds(1))
                .leaseScanInterval(Duration.ofSeconds(1)).maxRecords(10).build(), recorder.factory("w1"));
        KinesisConsumer w2 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w2", mode)
                .failoverTime(HANDOFF_TEST_FAILOVER).leaseRenewalInterval(Duration.ofSeconds(1))
                .leaseScanInterval(Duration.ofSeconds(1)).maxRecords(10).build(), recorder.factory("w2"));
        try {
            w1.start();
            await("w1 processing", Duration.ofSeconds(30), () -> w1.activeShards().size() == SHARDS
                    && recorder.distinct() >= 100);
            w2.start();
            long shutdownStart = System.nanoTime();
            w1.shutdown().get(30, java.util.concurrent.TimeUnit.SECONDS);
            long shutdownMillis = (System.nanoTime() - shutdownStart) / 1_000_000;
            await("w2 took over", HANDOFF_TEST_FAILOVER.multipliedBy(2), () -> w2.activeShards().size() == SHARDS);
            long takeoverMillis = (System.nanoTime() - shutdownStart) / 1_000_000;
            recorder.processingDelayMillis = 0;
            await("all records processed", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
            // a late duplicate would come before a marker put after the records, delivered and checkpointed
            expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                    Duration.ofSeconds(60)).data());
            System.out.printf("graceful: w1 shut down in %d ms, w2 had every shard after %d ms (failover %d ms), "
                    + "%d duplicates%n", shutdownMillis, takeoverMillis, HANDOFF_TEST_FAILOVER.toMillis(),
                    recorder.duplicates().size());
            assertTrue(w1.heldLeases().isEmpty());
            assertTrue(takeoverMillis < HANDOFF_TEST_FAILOVER.toMillis(), "takeover " + takeoverMillis + " ms: the "
                    + "leases expired instead of being handed over");
            assertEquals(expected, recorder.deliveries.keySet());
            assertEquals(List.of(), recorder.duplicates(), "duplicates after a graceful handover");
        } finally {
            w1.halt();
            w2.shutdown().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
