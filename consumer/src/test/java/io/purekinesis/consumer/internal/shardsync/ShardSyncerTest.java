package io.purekinesis.consumer.internal.shardsync;

import static io.purekinesis.consumer.internal.shardsync.LineageTest.shard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseScan;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

class ShardSyncerTest {

    @Test
    void aChildIsNotWrittenWhenItsParentsWriteFailed() {
        KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
        when(kinesis.listShards(any(ListShardsRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ListShardsResponse.builder().shards(shard("A", false, "P"), shard("P", true), shard("Q", false))
                        .build()));
        LeaseTable table = mock(LeaseTable.class);
        when(table.scan()).thenReturn(CompletableFuture.completedFuture(new LeaseScan(List.of(), List.of())));
        when(table.createIfAbsent(any())).thenAnswer(inv -> ((Lease) inv.getArgument(0)).leaseKey().equals("P")
                ? CompletableFuture.failedFuture(ProvisionedThroughputExceededException.builder().message("throttled")
                        .build())
                : CompletableFuture.completedFuture(true));
        ShardSyncer syncer = new ShardSyncer(kinesis, "stream", table, InitialPosition.trimHorizon(), Duration.ZERO,
                new ManualScheduler());
        assertThrows(RuntimeException.class, () -> syncer.sync(new LeaseScan(List.of(), List.of()), () -> "w"),
                "the failure is reported; the next sync retries");
        verify(table).createIfAbsent(argThat((Lease l) -> l.leaseKey().equals("Q")));
        verify(table, never()).createIfAbsent(argThat((Lease l) -> l.leaseKey().equals("A")));
    }

    /** 250 open shards; the first 150 leases exist already (another worker is creating them). */
    private static ShardSyncer syncerRacingAnotherCreator(LeaseTable table) {
        KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            shards.add(shard(String.format("shardId-%012d", i), false));
        }
        when(kinesis.listShards(any(ListShardsRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ListShardsResponse.builder().shards(shards).build()));
        when(table.createIfAbsent(any())).thenAnswer(inv -> CompletableFuture.completedFuture(
                Integer.parseInt(((Lease) inv.getArgument(0)).leaseKey().substring(8)) >= 150));
        when(table.scanAll()).thenReturn(CompletableFuture.completedFuture(List.of()));
        return new ShardSyncer(kinesis, "stream", table, InitialPosition.trimHorizon(), Duration.ZERO,
                new ManualScheduler());
    }

    @Test
    void aWorkerThatNoLongerLeadsStopsCreatingAfterTheChunkThatFoundLeasesCreatedMeanwhile() {
        LeaseTable table = mock(LeaseTable.class);
        AtomicInteger asked = new AtomicInteger();
        Set<String> known = new HashSet<>();
        List<Lease> created = syncerRacingAnotherCreator(table).sync(new LeaseScan(List.of(), List.of()), () -> "w",
                known, () -> asked.incrementAndGet() < 0);
        verify(table, times(ShardSyncer.CREATE_CHUNK)).createIfAbsent(any());
        assertEquals(1, asked.get(), "asked once, after the first chunk");
        assertEquals(List.of(), created);
        assertEquals(ShardSyncer.CREATE_CHUNK, known.size(), "what it did not try stays unknown: the next sync tries");
    }

    @Test
    void aWorkerThatStillLeadsCreatesEveryMissingLease() {
        LeaseTable table = mock(LeaseTable.class);
        AtomicInteger asked = new AtomicInteger();
        List<Lease> created = syncerRacingAnotherCreator(table).sync(new LeaseScan(List.of(), List.of()), () -> "w",
                new HashSet<>(), () -> asked.incrementAndGet() > 0);
        verify(table, times(250)).createIfAbsent(any());
        assertEquals(100, created.size());
        assertEquals(2, asked.get(), "after each chunk that found existing leases, but the last");
    }
}
