package io.purekinesis.consumer.internal.shardsync;

import static io.purekinesis.consumer.internal.shardsync.LineageTest.shard;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseScan;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;

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
}
