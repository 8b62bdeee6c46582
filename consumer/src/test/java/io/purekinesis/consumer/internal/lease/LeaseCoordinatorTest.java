package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributesTest.n;
import static io.purekinesis.consumer.internal.lease.LeaseAttributesTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

class LeaseCoordinatorTest {

    private static final int FAILOVER_SECONDS = 3;
    private static final Duration FAILOVER = Duration.ofSeconds(FAILOVER_SECONDS);
    private static final String SHARD0 = "shardId-000000000000";
    private static final String SHARD1 = "shardId-000000000001";

    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final LeaseTable table = new LeaseTable(dynamo, "app");
    /** The coordinators' time; they are not started, so nothing is scheduled on it. */
    private final ManualScheduler clock = new ManualScheduler();

    /** Records listener calls. */
    static final class Events implements LeaseCoordinator.Listener {
        final List<String> acquired = new CopyOnWriteArrayList<>();
        final List<String> lost = new CopyOnWriteArrayList<>();
        final List<String> handoff = new CopyOnWriteArrayList<>();

        @Override
        public void leaseAcquired(Lease lease) {
            acquired.add(lease.leaseKey());
        }

        @Override
        public void leaseLost(String leaseKey) {
            lost.add(leaseKey);
        }

        @Override
        public void handoffRequested(String leaseKey) {
            handoff.add(leaseKey);
        }
    }

    private LeaseCoordinator coordinator(String worker, Events events, ConsumerMetrics metrics) {
        return coordinator(table, worker, events, metrics, clock, new Random(3));
    }

    /**
     * A coordinator of {@code worker} with a failover time of {@value #FAILOVER_SECONDS} s, renewals and scans
     * every second, at most one steal per scan, on {@code time} (also its scheduler).
     */
    static LeaseCoordinator coordinator(LeaseTable table, String worker, LeaseCoordinator.Listener events,
            ConsumerMetrics metrics, ManualScheduler time, Random random) {
        ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("stream").workerId(worker)
                .failoverTime(FAILOVER).leaseRenewalInterval(Duration.ofSeconds(1))
                .leaseScanInterval(Duration.ofSeconds(1)).maxLeasesToStealAtOneTime(1).metrics(metrics).build();
        return new LeaseCoordinator(table, new ConsumerContext(config, time, random, time, time, time), events);
    }

    static Map<String, AttributeValue> row(String key, String owner, long counter) {
        Map<String, AttributeValue> row = new HashMap<>();
        row.put("leaseKey", s(key));
        row.put("leaseCounter", n(counter));
        row.put("checkpoint", s("TRIM_HORIZON"));
        row.put("checkpointSubSequenceNumber", n(0));
        if (owner != null) {
            row.put("leaseOwner", s(owner));
        }
        return row;
    }

    private void scanReturns(List<Map<String, AttributeValue>> rows) {
        when(dynamo.scan(any(ScanRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ScanResponse.builder().items(rows).build()));
    }

    private static CompletableFuture<UpdateItemResponse> conditionFailed() {
        return CompletableFuture.failedFuture(ConditionalCheckFailedException.builder().message("no").build());
    }

    /** Answers an update as DynamoDB would for the winner: the row now owned by :me with the next counter. */
    private static CompletableFuture<UpdateItemResponse> granted(UpdateItemRequest r, long counter) {
        String key = r.key().get("leaseKey").s();
        String me = r.expressionAttributeValues().get(":me").s();
        return CompletableFuture.completedFuture(UpdateItemResponse.builder().attributes(row(key, me, counter))
                .build());
    }

    @Test
    void twoWorkersRaceForOneLeaseOneWinsTheOtherMovesOn() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        AtomicInteger updates = new AtomicInteger();
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> updates.getAndIncrement() == 0
                ? granted(inv.getArgument(0), 1) : conditionFailed());
        Events a = new Events();
        Events b = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        LeaseCoordinator workerB = coordinator("B", b, ConsumerMetrics.NOOP);

        workerA.scanAndTake();
        workerB.scanAndTake(); // saw the same unowned row, loses the conditional write

        assertEquals(List.of(SHARD0), a.acquired);
        assertTrue(b.acquired.isEmpty());
        assertEquals(java.util.Set.of(SHARD0), workerA.heldLeaseKeys());
        assertTrue(workerB.heldLeaseKeys().isEmpty());

        // next cycle B sees A's live lease: 1 lease, 2 workers, target 1, A at target -> nothing to do
        scanReturns(List.of(row(SHARD0, "A", 1)));
        workerB.scanAndTake();
        assertEquals(2, updates.get());
        assertTrue(b.acquired.isEmpty());
    }

    @Test
    void conditionalTakeIsOnTheCounterSeenInTheScan() {
        scanReturns(List.of(row(SHARD0, null, 7)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 8));
        coordinator("A", new Events(), ConsumerMetrics.NOOP).scanAndTake();
        ArgumentCaptor<UpdateItemRequest> captor = ArgumentCaptor.forClass(UpdateItemRequest.class);
        verify(dynamo).updateItem(captor.capture());
        UpdateItemRequest r = captor.getValue();
        assertTrue(r.conditionExpression().contains("#c = :c"), r.conditionExpression());
        assertEquals("7", r.expressionAttributeValues().get(":c").n());
        assertEquals("8", r.expressionAttributeValues().get(":next").n());
        assertEquals("A", r.expressionAttributeValues().get(":me").s());
    }

    @Test
    void renewalRefusedMeansLeaseLost() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        List<String> lostMetrics = new ArrayList<>();
        LeaseCoordinator workerA = coordinator("A", a, new ConsumerMetrics() {
            @Override
            public void leaseLost(String shardId) {
                lostMetrics.add(shardId);
            }
        });
        workerA.scanAndTake();
        assertEquals(List.of(SHARD0), a.acquired);

        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(conditionFailed());
        when(dynamo.getItem(any(GetItemRequest.class))).thenReturn(CompletableFuture.completedFuture(
                GetItemResponse.builder().item(row(SHARD0, "B", 9)).build()));
        workerA.renewAll();

        assertEquals(List.of(SHARD0), a.lost);
        assertEquals(List.of(SHARD0), lostMetrics);
        assertTrue(workerA.heldLeaseKeys().isEmpty());
        workerA.renewAll(); // nothing held: no more renewals, no second loss
        assertEquals(1, a.lost.size());
    }

    @Test
    void renewalRefusedWithCheckpointOwnerMeansHandoff() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();

        Map<String, AttributeValue> stolen = row(SHARD0, "B", 2);
        stolen.put("checkpointOwner", s("A"));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(conditionFailed());
        when(dynamo.getItem(any(GetItemRequest.class))).thenReturn(CompletableFuture.completedFuture(
                GetItemResponse.builder().item(stolen).build()));
        workerA.renewAll();

        assertEquals(List.of(SHARD0), a.handoff);
        assertTrue(a.lost.isEmpty());
    }

    @Test
    void renewalErrorsLoseTheLeaseOnlyAfterFailoverTime() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.failedFuture(
                new RuntimeException("network down")));
        clock.advance(Duration.ofSeconds(2));
        workerA.renewAll();
        assertTrue(a.lost.isEmpty());
        clock.advance(Duration.ofSeconds(2));
        workerA.renewAll();
        assertEquals(List.of(SHARD0), a.lost);
    }

    @Test
    void ownedLeaseIsTakenOnlyAfterItsCounterStoodStillForFailoverTime() {
        scanReturns(List.of(row(SHARD0, "dead", 5)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 6));
        Events b = new Events();
        LeaseCoordinator workerB = coordinator("B", b, ConsumerMetrics.NOOP);
        workerB.scanAndTake();
        clock.advance(Duration.ofSeconds(2));
        workerB.scanAndTake();
        assertTrue(b.acquired.isEmpty(), "not expired yet");
        scanReturns(List.of(row(SHARD0, "dead", 6))); // the owner renewed: the clock restarts
        clock.advance(Duration.ofSeconds(2));
        workerB.scanAndTake();
        assertTrue(b.acquired.isEmpty(), "renewed, not expired");
        clock.advance(Duration.ofMillis(3100));
        workerB.scanAndTake();
        assertEquals(List.of(SHARD0), b.acquired);
    }

    @Test
    void kclRowsOfOtherKindsAreIgnoredAndNeverWritten() {
        List<Map<String, AttributeValue>> rows = new ArrayList<>(LeaseAttributesTest.kclNonLeaseRows().values());
        rows.add(row(SHARD0, null, 0));
        rows.add(row(SHARD1, null, 0));
        scanReturns(rows);
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        workerA.renewAll();

        ArgumentCaptor<UpdateItemRequest> captor = ArgumentCaptor.forClass(UpdateItemRequest.class);
        verify(dynamo, times(4)).updateItem(captor.capture()); // 2 takes + 2 renewals
        for (UpdateItemRequest r : captor.getAllValues()) {
            String key = r.key().get("leaseKey").s();
            assertTrue(key.equals(SHARD0) || key.equals(SHARD1), key);
        }
        verify(dynamo, never()).putItem(any(software.amazon.awssdk.services.dynamodb.model.PutItemRequest.class));
        verify(dynamo, never()).deleteItem(any(software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest.class));
        assertEquals(2, a.acquired.size());
    }

    @Test
    void stolenLeaseWaitsForTheHandoffThenStarts() {
        // A holds both leases; B steals one (target 1 each) with checkpointOwner = A
        scanReturns(List.of(row(SHARD0, "A", 1), row(SHARD1, "A", 1)));
        Map<String, AttributeValue> afterSteal = row(SHARD0, "B", 2);
        afterSteal.put("checkpointOwner", s("A"));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.completedFuture(
                UpdateItemResponse.builder().attributes(afterSteal).build()));
        Events b = new Events();
        LeaseCoordinator workerB = coordinator("B", b, ConsumerMetrics.NOOP);
        workerB.scanAndTake();
        assertTrue(workerB.heldLeaseKeys().isEmpty(), "A not yet seen renewing: it may be dead, do not steal");
        scanReturns(List.of(row(SHARD0, "A", 2), row(SHARD1, "A", 2)));
        workerB.scanAndTake();
        assertEquals(1, workerB.heldLeaseKeys().size());
        assertTrue(b.acquired.isEmpty(), "must wait for A's handoff");
        ArgumentCaptor<UpdateItemRequest> captor = ArgumentCaptor.forClass(UpdateItemRequest.class);
        verify(dynamo).updateItem(captor.capture());
        assertTrue(captor.getValue().updateExpression().contains("#co = :victim"));

        // A finished: the renewal shows no checkpointOwner any more -> B starts
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 3));
        workerB.renewAll();
        assertEquals(1, b.acquired.size());
    }

    @Test
    void aLeaseThisWorkerLostDuringAnOutageIsTakenBackOnceExpired() {
        // alone on the stream: A's renewals fail for longer than the failover time, so A drops the lease; the
        // row still names A as owner. Nobody else will ever take it: A must take it back once it has expired.
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.failedFuture(
                new RuntimeException("network down")));
        clock.advance(Duration.ofSeconds(2));
        workerA.renewAll();
        clock.advance(Duration.ofSeconds(2));
        workerA.renewAll();
        assertEquals(List.of(SHARD0), a.lost);

        // the table is reachable again
        scanReturns(List.of(row(SHARD0, "A", 1)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 2));
        workerA.scanAndTake();
        clock.advance(Duration.ofMillis(3100));
        workerA.scanAndTake();
        assertEquals(List.of(SHARD0, SHARD0), a.acquired, "the stale lease of this worker must be taken back");
        assertEquals(java.util.Set.of(SHARD0), workerA.heldLeaseKeys());
    }

    @Test
    void aRestartedWorkerWithTheSameIdTakesItsOldLeasesOnceExpired() {
        scanReturns(List.of(row(SHARD0, "A", 5)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 6));
        Events a = new Events();
        LeaseCoordinator restarted = coordinator("A", a, ConsumerMetrics.NOOP);
        restarted.scanAndTake();
        assertTrue(a.acquired.isEmpty(), "not expired yet: the old process may still be alive");
        clock.advance(Duration.ofMillis(3100));
        restarted.scanAndTake();
        assertEquals(List.of(SHARD0), a.acquired);
    }

    @Test
    void aHeldLeaseIsNeverTakenAgainByItsHolder() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        scanReturns(List.of(row(SHARD0, "A", 1))); // the scan does not see renewals (say they are slow)
        workerA.scanAndTake();
        clock.advance(Duration.ofMillis(3100));
        workerA.scanAndTake();
        assertEquals(List.of(SHARD0), a.acquired, "a second consumer for a held lease");
        verify(dynamo, times(1)).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void expiryOfAHeldLeaseCountsFromWhenTheRenewalWasSentNotAnswered() {
        // A peer measures expiry from when it first saw the renewed counter, which is no later than the
        // renewal's write, itself no later than its answer. So A must count from the send time.
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        clock.advance(Duration.ofSeconds(1));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            clock.advance(Duration.ofSeconds(2)); // a slow renewal: sent at 1 s, answered at 3 s
            return granted(inv.getArgument(0), 2);
        });
        workerA.renewAll();
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.failedFuture(
                new RuntimeException("network down")));
        clock.advance(Duration.ofMillis(1500)); // 4.5 s: 3.5 s after the last successful renewal was sent
        workerA.renewAll();
        assertEquals(List.of(SHARD0), a.lost);
    }

    @Test
    void aRenewalThatNeverAnswersDoesNotKeepTheLeaseAliveLocally() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(new CompletableFuture<>()); // hangs
        clock.advance(Duration.ofSeconds(1));
        assertTimeoutPreemptively(Duration.ofSeconds(10), workerA::renewAll, "renewal cycle blocked");
        clock.advance(Duration.ofMillis(2500)); // 3.5 s since the last renewal: peers may take it now
        assertTimeoutPreemptively(Duration.ofSeconds(10), workerA::renewAll, "renewal cycle blocked");
        assertEquals(List.of(SHARD0), a.lost, "must stop processing once the lease may have been taken");
        assertTrue(workerA.heldLeaseKeys().isEmpty());
    }

    @Test
    void aHeldLeaseThatAScanShowsUnownedIsNotTakenASecondTime() {
        scanReturns(List.of(row(SHARD0, null, 0)));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> granted(inv.getArgument(0), 1));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        scanReturns(List.of(row(SHARD0, null, 1))); // someone else's tool cleared the owner
        workerA.scanAndTake();
        assertEquals(List.of(SHARD0), a.acquired, "a second consumer for a held lease");
        verify(dynamo, times(1)).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void aShardThatEndedDuringTheHandoffIsNotStartedAgain() {
        // A reached the shard's end while B's steal was pending: A wrote SHARD_END as checkpoint owner, then ended
        // the handoff. B must not start a consumer on it (it would read the whole shard again from the start).
        scanReturns(List.of(row(SHARD0, "A", 1), row(SHARD1, "A", 1)));
        Map<String, AttributeValue> afterSteal = row(SHARD0, "B", 2);
        afterSteal.put("checkpointOwner", s("A"));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.completedFuture(
                UpdateItemResponse.builder().attributes(afterSteal).build()));
        Events b = new Events();
        LeaseCoordinator workerB = coordinator("B", b, ConsumerMetrics.NOOP);
        workerB.scanAndTake();
        scanReturns(List.of(row(SHARD0, "A", 2), row(SHARD1, "A", 2)));
        workerB.scanAndTake();
        assertEquals(1, workerB.heldLeaseKeys().size());

        Map<String, AttributeValue> ended = row(SHARD0, "B", 3);
        ended.put("checkpoint", s("SHARD_END"));
        List<UpdateItemRequest> writes = new CopyOnWriteArrayList<>();
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            writes.add(inv.getArgument(0));
            return CompletableFuture.completedFuture(UpdateItemResponse.builder().attributes(ended).build());
        });
        workerB.renewAll();
        assertTrue(b.acquired.isEmpty(), "started a consumer on a shard that has ended: " + b.acquired);
        assertTrue(workerB.heldLeaseKeys().isEmpty());
        assertTrue(writes.stream().anyMatch(w -> w.updateExpression().contains("REMOVE #o")), "lease not released");
    }

    @Test
    void aLeaseThatEndedBetweenScanAndTakeIsNotStarted() {
        scanReturns(List.of(row(SHARD0, null, 4)));
        Map<String, AttributeValue> ended = row(SHARD0, "A", 5);
        ended.put("checkpoint", s("SHARD_END"));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.completedFuture(
                UpdateItemResponse.builder().attributes(ended).build()));
        Events a = new Events();
        LeaseCoordinator workerA = coordinator("A", a, ConsumerMetrics.NOOP);
        workerA.scanAndTake();
        assertTrue(a.acquired.isEmpty(), "started a consumer on a shard that has ended");
        assertTrue(workerA.heldLeaseKeys().isEmpty());
    }
}
