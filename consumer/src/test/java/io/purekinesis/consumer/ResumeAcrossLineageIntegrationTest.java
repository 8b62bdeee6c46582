package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * A consumer that starts on a stream resharded before it existed: P was split into C1 and C2, which were merged
 * into M, with 10 records written to each shard while it was open. TRIM_HORIZON walks the lineage down (parents
 * before children) and finished leases are cleaned up without being read again; AT_TIMESTAMP and LATEST start
 * where they should.
 */
@ExtendWith(LocalEndpointsExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResumeAcrossLineageIntegrationTest {

    /** Built once for the class: resharding the emulator is slow. */
    private static Lineage lineage;

    private record Lineage(String stream, String p, String c1, String c2, String m, Instant beforeMerge) {
        List<String> records(String shard) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                out.add(shard + "#" + i);
            }
            return out;
        }
    }

    private static synchronized Lineage lineage(KinesisAsyncClient kinesis) throws Exception {
        if (lineage != null) {
            return lineage;
        }
        String stream = Streams.uniqueStreamName("lineage");
        Streams.createStream(kinesis, stream, 1);
        Shard p = IntegrationSupport.shards(kinesis, stream).get(0);
        put(kinesis, stream, p, 10);
        BigInteger middle = new BigInteger(p.hashKeyRange().endingHashKey()).shiftRight(1);
        kinesis.splitShard(b -> b.streamName(stream).shardToSplit(p.shardId()).newStartingHashKey(middle.toString()))
                .join();
        awaitActive(kinesis, stream);
        List<Shard> afterSplit = open(kinesis, stream);
        Shard c1 = afterSplit.get(0);
        Shard c2 = afterSplit.get(1);
        put(kinesis, stream, c1, 10);
        put(kinesis, stream, c2, 10);
        Thread.sleep(1_500); // arrival timestamps have second precision in places: keep clear of the boundary
        Instant beforeMerge = Instant.now();
        Thread.sleep(1_500);
        kinesis.mergeShards(b -> b.streamName(stream).shardToMerge(c1.shardId())
                .adjacentShardToMerge(c2.shardId())).join();
        awaitActive(kinesis, stream);
        Shard m = open(kinesis, stream).get(0);
        put(kinesis, stream, m, 10);
        lineage = new Lineage(stream, p.shardId(), c1.shardId(), c2.shardId(), m.shardId(), beforeMerge);
        return lineage;
    }

    private static List<Shard> open(KinesisAsyncClient kinesis, String stream) {
        return IntegrationSupport.shards(kinesis, stream).stream()
                .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).collect(Collectors.toList());
    }

    private static void awaitActive(KinesisAsyncClient kinesis, String stream) throws InterruptedException {
        await("stream active", Duration.ofSeconds(30), () -> kinesis.describeStreamSummary(b -> b.streamName(stream))
                .join().streamDescriptionSummary().streamStatus() == StreamStatus.ACTIVE);
    }

    private static void put(KinesisAsyncClient kinesis, String stream, Shard shard, int count) {
        for (int i = 0; i < count; i++) {
            String data = shard.shardId() + "#" + i;
            kinesis.putRecord(b -> b.streamName(stream).partitionKey("k")
                    .explicitHashKey(shard.hashKeyRange().startingHashKey()).data(SdkBytes.fromUtf8String(data)))
                    .join();
        }
    }

    private static Set<String> leaseKeys(DynamoDbAsyncClient dynamo, String table) {
        return new LeaseTable(dynamo, table).scanAll().join().stream().map(Lease::leaseKey)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static int firstIndex(List<String> order, List<String> records) {
        return records.stream().mapToInt(order::indexOf).min().orElseThrow();
    }

    private static int lastIndex(List<String> order, List<String> records) {
        return records.stream().mapToInt(order::indexOf).max().orElseThrow();
    }

    @Test
    @Order(1)
    void trimHorizonWalksTheLineageDownAndCleansUpFinishedLeases(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        Lineage l = lineage(kinesis);
        String app = Streams.uniqueStreamName("app-th");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, l.stream(), "w1")
                .shardSyncInterval(Duration.ofSeconds(1)).completedLeaseCleanupDelay(Duration.ZERO).build(),
                recorder.factory("w1"));
        consumer.start();
        try {
            await("all 40 records", Duration.ofSeconds(90), () -> recorder.distinct() == 40);
            List<String> order = List.copyOf(recorder.order);
            for (String shard : List.of(l.p(), l.c1(), l.c2(), l.m())) {
                assertTrue(order.containsAll(l.records(shard)), shard);
            }
            assertTrue(lastIndex(order, l.records(l.p())) < firstIndex(order, l.records(l.c1())), "P before C1");
            assertTrue(lastIndex(order, l.records(l.p())) < firstIndex(order, l.records(l.c2())), "P before C2");
            assertTrue(lastIndex(order, l.records(l.c1())) < firstIndex(order, l.records(l.m())), "C1 before M");
            assertTrue(lastIndex(order, l.records(l.c2())) < firstIndex(order, l.records(l.m())), "C2 before M");
            await("finished leases cleaned up", Duration.ofSeconds(30),
                    () -> leaseKeys(dynamo, app).equals(Set.of(l.m())));
            Thread.sleep(3_000); // three more shard syncs: the finished shards, still listed, stay unleased
            assertEquals(Set.of(l.m()), leaseKeys(dynamo, app));
            assertEquals(List.of(), recorder.duplicates());
            System.out.printf("TRIM_HORIZON over P -> C1,C2 -> M: %d records, %d deliveries, leases left %s%n",
                    recorder.distinct(), recorder.totalDeliveries(), leaseKeys(dynamo, app));
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(2)
    void atTimestampStartsAtThatTimeInEveryShardOfTheLineage(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        Lineage l = lineage(kinesis);
        String app = Streams.uniqueStreamName("app-ts");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, l.stream(), "w1")
                .initialPosition(InitialPosition.atTimestamp(l.beforeMerge())).shardSyncInterval(Duration.ofSeconds(1))
                .build(), recorder.factory("w1"));
        consumer.start();
        try {
            await("M's records", Duration.ofSeconds(60), () -> recorder.distinct() >= 10);
            Thread.sleep(2_000); // nothing older may follow
            assertEquals(new TreeSet<>(l.records(l.m())), new TreeSet<>(recorder.deliveries.keySet()));
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(3)
    void latestLeasesOnlyTheOpenShardAndReadsOnlyNewRecords(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        Lineage l = lineage(kinesis);
        String app = Streams.uniqueStreamName("app-latest");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        AtomicBoolean reading = new AtomicBoolean();
        ConsumerMetrics metrics = new ConsumerMetrics() {
            @Override
            public void millisBehindLatest(String shardId, long millis) {
                reading.set(true); // a GetRecords answered: the LATEST iterator is in place
            }
        };
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, l.stream(), "w1")
                .initialPosition(InitialPosition.latest()).shardSyncInterval(Duration.ofSeconds(1)).metrics(metrics)
                .build(), recorder.factory("w1"));
        consumer.start();
        try {
            assertEquals(Set.of(l.m()), leaseKeys(dynamo, app));
            await("M is being read", Duration.ofSeconds(30), reading::get);
            Shard m = IntegrationSupport.shards(kinesis, l.stream()).stream()
                    .filter(s -> s.shardId().equals(l.m())).findFirst().orElseThrow();
            List<String> fresh = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String data = "new#" + i;
                fresh.add(data);
                kinesis.putRecord(b -> b.streamName(l.stream()).partitionKey("k")
                        .explicitHashKey(m.hashKeyRange().startingHashKey()).data(SdkBytes.fromUtf8String(data)))
                        .join();
            }
            await("the new records", Duration.ofSeconds(30), () -> recorder.distinct() >= 5);
            Thread.sleep(1_000);
            assertEquals(new TreeSet<>(fresh), new TreeSet<>(recorder.deliveries.keySet()));
            assertEquals(Set.of(l.m()), leaseKeys(dynamo, app), "closed shards stay unleased");
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }
}
