package io.purekinesis.consumer.internal.shardsync;

import static io.purekinesis.consumer.internal.shardsync.LineageTest.lease;
import static io.purekinesis.consumer.internal.shardsync.LineageTest.shard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.LeaseTableSetup;
import io.purekinesis.internal.time.MonotonicClock;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Shard sync against DynamoDB Local's real conditional writes; the shard list comes from a mocked ListShards. */
@ExtendWith(LocalEndpointsExtension.class)
class ShardSyncerIntegrationTest {

    private static final String P = id(0);
    private static final String A = id(1);
    private static final String B = id(2);

    private final AtomicReference<List<Shard>> listed = new AtomicReference<>(List.of());
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    /** Measures how long a finished lease was deletable; nothing is scheduled on it. */
    private final ManualScheduler time = new ManualScheduler();

    ShardSyncerIntegrationTest() {
        // two pages, so pagination is exercised
        when(kinesis.listShards(any(ListShardsRequest.class))).thenAnswer(inv -> {
            ListShardsRequest r = inv.getArgument(0);
            List<Shard> all = listed.get();
            int half = all.size() / 2;
            boolean first = r.nextToken() == null;
            return CompletableFuture.completedFuture(ListShardsResponse.builder()
                    .shards(first ? all.subList(0, half) : all.subList(half, all.size()))
                    .nextToken(first ? "page2" : null).build());
        });
    }

    /** Lease rows are read only when keyed like Kinesis shard ids. */
    private static String id(int n) {
        return String.format("shardId-%012d", n);
    }

    private static LeaseTable table(DynamoDbAsyncClient dynamo) throws InterruptedException {
        LeaseTable table = new LeaseTable(dynamo, Streams.uniqueStreamName("sync"));
        // DynamoDB Local is real: the wait for a new table to become ACTIVE takes real time
        new LeaseTableSetup(dynamo, table.tableName(), null, Time.of(new MonotonicClock()))
                .ensure(Duration.ofSeconds(30));
        return table;
    }

    private ShardSyncer syncer(LeaseTable table, Duration cleanupDelay) {
        return new ShardSyncer(kinesis, "stream", table, InitialPosition.trimHorizon(), cleanupDelay, time);
    }

    private static Map<String, Lease> leases(LeaseTable table) {
        return table.scanAll().join().stream().collect(Collectors.toMap(Lease::leaseKey, Function.identity()));
    }

    @Test
    void twoWorkersDiscoveringTheSameShardsAtOnceCreateEachLeaseOnce(DynamoDbAsyncClient dynamo) throws Exception {
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            shards.add(shard(id(100 + i), true));
            shards.add(shard(id(200 + i), false, id(100 + i)));
        }
        listed.set(shards);
        LeaseTable table = table(dynamo);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                ShardSyncer s = syncer(table, Duration.ZERO);
                results.add(pool.submit(() -> {
                    go.await();
                    return s.sync(table.scan().join(), () -> "w").size();
                }));
            }
            go.countDown();
            int created = results.get(0).get() + results.get(1).get();
            assertEquals(40, created, "each lease created by exactly one of the two workers");
        } finally {
            pool.shutdownNow();
        }
        Map<String, Lease> after = leases(table);
        assertEquals(40, after.size());
        assertEquals(java.util.Set.of(id(103)), after.get(id(203)).parentShardIds());
    }

    @Test
    void childLeasesFromChildShardsAndFromListShardsAreTheSameLease(DynamoDbAsyncClient dynamo) throws Exception {
        listed.set(List.of(shard(P, true)));
        LeaseTable table = table(dynamo);
        ShardSyncer s = syncer(table, Duration.ZERO);
        assertEquals(1, s.sync(table.scan().join(), () -> "w").size());
        ChildShard a = ChildShard.builder().shardId(A).parentShards(P)
                .hashKeyRange(h -> h.startingHashKey("0").endingHashKey("50")).build();
        s.createChildLeases(List.of(a), "w");
        listed.set(List.of(shard(P, true), shard(A, false, P), shard(B, false, P)));
        assertEquals(1, s.sync(table.scan().join(), () -> "w").size(), "only B was missing");
        assertEquals(ExtendedSequenceNumber.TRIM_HORIZON, leases(table).get(B).checkpoint());
    }

    @Test
    void aFinishedLeaseIsDeletedAfterTheDelayAndNeverRecreated(DynamoDbAsyncClient dynamo) throws Exception {
        listed.set(List.of(shard(P, true), shard(A, false, P), shard(B, false, P)));
        LeaseTable table = table(dynamo);
        assertTrue(table.createIfAbsent(lease(P, ExtendedSequenceNumber.SHARD_END)).join());
        ShardSyncer s = syncer(table, Duration.ofMinutes(5));
        assertEquals(2, s.sync(table.scan().join(), () -> "w").size());
        assertTrue(leases(table).containsKey(P), "deletable, but the delay has not passed");
        time.advance(Duration.ofMinutes(4));
        s.sync(table.scan().join(), () -> "w").size();
        assertTrue(leases(table).containsKey(P));
        time.advance(Duration.ofMinutes(1));
        s.sync(table.scan().join(), () -> "w").size();
        Map<String, Lease> after = leases(table);
        assertFalse(after.containsKey(P), "deleted once deletable for 5 minutes");
        assertEquals(java.util.Set.of(A, B), after.keySet());
        s.sync(table.scan().join(), () -> "w").size();
        syncer(table, Duration.ZERO).sync(table.scan().join(), () -> "w");
        assertEquals(java.util.Set.of(A, B), leases(table).keySet(), "P, still listed, is not leased again");
    }

    @Test
    void onlyFinishedLeasesCanBeDeleted(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        assertTrue(table.createIfAbsent(lease(id(7), ExtendedSequenceNumber.of("12", 0))).join());
        assertFalse(table.deleteCompleted(id(7)).join());
        assertFalse(table.deleteCompleted(id(8)).join());
        assertTrue(leases(table).containsKey(id(7)));
    }
}
