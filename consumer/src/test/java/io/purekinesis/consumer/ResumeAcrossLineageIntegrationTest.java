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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
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
        // real endpoint: the emulator stamps arrival times from the real clock, at second precision in places, so
        // beforeMerge must lie 1.5 s of real time clear of the records before it and of the merged shard's
        Thread.sleep(1_500);
        Instant beforeMerge = Instant.now();
        Thread.sleep(1_500); // real endpoint: as above, on the other side of beforeMerge
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

    /** Each of the leases at SHARD_END, or already deleted. */
    private static boolean finished(DynamoDbAsyncClient dynamo, String table, Set<String> keys) {
        return new LeaseTable(dynamo, table).scanAll().join().stream().filter(lease -> keys.contains(lease.leaseKey()))
                .allMatch(lease -> ExtendedSequenceNumber.SHARD_END.equals(lease.checkpoint()));
    }

    private static int firstIndex(List<String> order, List<String> records) {
        return records.stream().mapToInt(order::indexOf).min().orElseThrow();
    }

    private static int lastIndex(List<String> order, List<String> records) {
        return records.stream().mapToInt(order::indexOf).max().orElseThrow();
    }

    /**
     * Counts the ListShards calls that succeeded: a shard sync lists the stream's shards first (one page here), and
     * the next sync starts only after the one before ended, so these count shard syncs.
     */
    static final class ShardListings implements ExecutionInterceptor {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if ("ListShards".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))) {
                count.incrementAndGet();
            }
        }
    }

    @Test
    @Order(1)
    void trimHorizonWalksTheLineageDownAndCleansUpFinishedLeases(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        Lineage l = lineage(kinesis);
        String app = Streams.uniqueStreamName("app-th");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        ShardListings listings = new ShardListings();
        try (KinesisAsyncClient counted = endpoints.kinesisClientBuilder()
                .overrideConfiguration(o -> o.addExecutionInterceptor(listings)).build()) {
            KinesisConsumer consumer = new KinesisConsumer(config(endpoints, counted, dynamo, app, l.stream(), "w1")
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
                // three more shard syncs: the finished shards, still listed, stay unleased. The syncs whose listing
                // ends after this point decide on the table as it is now; the fourth such listing ends the third
                int listed = listings.count.get();
                await("three more shard syncs", Duration.ofSeconds(60), () -> listings.count.get() >= listed + 4);
                assertEquals(Set.of(l.m()), leaseKeys(dynamo, app));
                assertEquals(List.of(), recorder.duplicates());
                System.out.printf("TRIM_HORIZON over P -> C1,C2 -> M: %d records, %d deliveries, leases left %s%n",
                        recorder.distinct(), recorder.totalDeliveries(), leaseKeys(dynamo, app));
            } finally {
                consumer.shutdown().get(30, TimeUnit.SECONDS);
            }
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
            // nothing older may follow: P, C1 and C2 end with a SHARD_END checkpoint, written in shardEnded after
            // their last delivery, and a finished lease is never read again
            await("P, C1 and C2 finished", Duration.ofSeconds(30),
                    () -> finished(dynamo, app, Set.of(l.p(), l.c1(), l.c2())));
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
            // M is read in order: once a marker put after the new records is delivered, anything of M before them
            // that was going to be delivered has been
            Set<String> markers = IntegrationSupport.putMarkersAndAwait(kinesis, l.stream(), "latest", recorder,
                    Duration.ofSeconds(30)).data();
            fresh.addAll(markers);
            assertEquals(new TreeSet<>(fresh), new TreeSet<>(recorder.deliveries.keySet()));
            assertEquals(Set.of(l.m()), leaseKeys(dynamo, app), "closed shards stay unleased");
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }
}
