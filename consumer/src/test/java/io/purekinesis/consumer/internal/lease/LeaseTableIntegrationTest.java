package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributesTest.n;
import static io.purekinesis.consumer.internal.lease.LeaseAttributesTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.internal.time.MonotonicClock;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The lease table's conditional writes against DynamoDB Local (real condition-expression semantics). */
@ExtendWith(LocalEndpointsExtension.class)
class LeaseTableIntegrationTest {

    /** DynamoDB Local is real: the wait for a new table to become ACTIVE takes real time. */
    private static final Time REAL_TIME = Time.of(new MonotonicClock());

    private static final String SHARD0 = "shardId-000000000000";
    private static final String SEQ = "49590338271490256608559692538361571095921575989136588801";

    private static LeaseTable table(DynamoDbAsyncClient dynamo) throws InterruptedException {
        LeaseTable table = new LeaseTable(dynamo, Streams.uniqueStreamName("leases"));
        new LeaseTableSetup(dynamo, table.tableName(), REAL_TIME).ensure(Duration.ofSeconds(30));
        return table;
    }

    private static Lease newLease(String key) {
        return new Lease(key, null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(), Set.of(), "0", "10", null);
    }

    private static Map<String, AttributeValue> raw(DynamoDbAsyncClient dynamo, LeaseTable table, String key) {
        return dynamo.getItem(b -> b.tableName(table.tableName()).key(LeaseAttributes.key(key)).consistentRead(true))
                .join().item();
    }

    @Test
    void leaseLifecycleWithRealConditions(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        new LeaseTableSetup(dynamo, table.tableName(), REAL_TIME).ensure(Duration.ofSeconds(5)); // idempotent
        assertTrue(table.createIfAbsent(newLease(SHARD0)).join());
        assertFalse(table.createIfAbsent(newLease(SHARD0)).join(), "second create loses");

        Lease seen = table.scanAll().join().get(0);
        Lease a = table.take(seen, "A").join().orElseThrow();
        assertEquals("A", a.leaseOwner());
        assertEquals(1, a.leaseCounter());
        assertTrue(table.take(seen, "B").join().isEmpty(), "take on a stale counter loses");

        Lease renewed = table.renew(a).join().orElseThrow();
        assertEquals(2, renewed.leaseCounter());
        assertTrue(table.renew(a).join().isEmpty(), "renew on a stale counter fails");

        assertTrue(table.checkpoint(SHARD0, "A", ExtendedSequenceNumber.of(SEQ, 3), Set.of()).join());
        assertFalse(table.checkpoint(SHARD0, "B", ExtendedSequenceNumber.of(SEQ, 4), Set.of()).join());
        Map<String, AttributeValue> row = raw(dynamo, table, SHARD0);
        assertEquals(SEQ, row.get("checkpoint").s());
        assertEquals("3", row.get("checkpointSubSequenceNumber").n());
        assertEquals("0", row.get("ownerSwitchesSinceCheckpoint").n());

        // steal with handoff: B owns, A may still checkpoint until it finishes the handoff
        Lease stolen = table.steal(renewed, "B").join().orElseThrow();
        assertEquals("B", stolen.leaseOwner());
        assertEquals("A", stolen.checkpointOwner());
        assertEquals(1, stolen.ownerSwitchesSinceCheckpoint());
        assertTrue(table.checkpoint(SHARD0, "A", ExtendedSequenceNumber.of(SEQ, 5), Set.of()).join());
        assertFalse(table.checkpoint(SHARD0, "B", ExtendedSequenceNumber.of(SEQ, 6), Set.of()).join(),
                "the new owner waits for the handoff");
        assertTrue(table.finishHandoff(SHARD0, "A").join());
        assertFalse(table.finishHandoff(SHARD0, "A").join());
        Lease b = table.renew(stolen).join().orElseThrow();
        assertNull(b.checkpointOwner());
        assertEquals(ExtendedSequenceNumber.of(SEQ, 5), b.checkpoint());
        assertFalse(table.checkpoint(SHARD0, "A", ExtendedSequenceNumber.of(SEQ, 7), Set.of()).join());

        // release: unowned at once, counter bumped; not releasable by others
        assertFalse(table.release(SHARD0, "A").join());
        assertTrue(table.release(SHARD0, "B").join());
        Lease released = table.get(SHARD0).join().orElseThrow();
        assertNull(released.leaseOwner());
        assertEquals(b.leaseCounter() + 1, released.leaseCounter());

        // SHARD_END with children
        Lease c = table.take(released, "C").join().orElseThrow();
        assertTrue(table.checkpoint(SHARD0, "C", ExtendedSequenceNumber.SHARD_END,
                Set.of("shardId-000000000001", "shardId-000000000002")).join());
        Lease ended = table.get(SHARD0).join().orElseThrow();
        assertTrue(ended.isCompleted());
        assertEquals(Set.of("shardId-000000000001", "shardId-000000000002"), ended.childShardIds());
        assertEquals(c.leaseCounter(), ended.leaseCounter(), "checkpoints do not bump the counter");
    }

    @Test
    void twoWorkersRaceForEveryLeaseAndEachLeaseHasExactlyOneWinner(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        for (int i = 0; i < 8; i++) {
            table.createIfAbsent(newLease(String.format("shardId-%012d", i))).join();
        }
        LeaseCoordinatorTest.Events a = new LeaseCoordinatorTest.Events();
        LeaseCoordinatorTest.Events b = new LeaseCoordinatorTest.Events();
        ManualScheduler clock = new ManualScheduler();
        LeaseCoordinator workerA = LeaseCoordinatorTest.coordinator(table, "A", a, ConsumerMetrics.NOOP, clock,
                new Random(1));
        LeaseCoordinator workerB = LeaseCoordinatorTest.coordinator(table, "B", b, ConsumerMetrics.NOOP, clock,
                new Random(2));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        try {
            Future<?> fa = pool.submit(() -> {
                go.await();
                workerA.scanAndTake();
                return null;
            });
            Future<?> fb = pool.submit(() -> {
                go.await();
                workerB.scanAndTake();
                return null;
            });
            go.countDown();
            fa.get();
            fb.get();
        } finally {
            pool.shutdownNow();
        }
        List<String> all = new java.util.ArrayList<>(a.acquired);
        all.addAll(b.acquired);
        assertEquals(all.size(), Set.copyOf(all).size(), "a lease acquired by both workers: " + all);
        for (Lease l : table.scanAll().join()) {
            String owner = l.leaseOwner();
            assertTrue(owner == null || (owner.equals("A") ? a.acquired : b.acquired).contains(l.leaseKey()));
        }
    }

    @Test
    void kclRowsOfOtherKindsAreLeftUntouched(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        Map<String, Map<String, AttributeValue>> others = LeaseAttributesTest.kclNonLeaseRows();
        for (Map<String, AttributeValue> row : others.values()) {
            dynamo.putItem(b -> b.tableName(table.tableName()).item(row)).join();
        }
        Map<String, AttributeValue> leaseRow = new HashMap<>(Map.of("leaseKey", s(SHARD0), "leaseCounter", n(0),
                "checkpoint", s("TRIM_HORIZON"), "checkpointSubSequenceNumber", n(0)));
        dynamo.putItem(b -> b.tableName(table.tableName()).item(leaseRow)).join();

        LeaseCoordinatorTest.Events events = new LeaseCoordinatorTest.Events();
        LeaseCoordinator worker = LeaseCoordinatorTest.coordinator(table, "A", events, ConsumerMetrics.NOOP,
                new ManualScheduler(), new Random(1));
        worker.scanAndTake();
        worker.renewAll();
        worker.release(SHARD0).join();

        assertEquals(List.of(SHARD0), events.acquired);
        for (Map<String, AttributeValue> row : others.values()) {
            assertEquals(row, raw(dynamo, table, row.get("leaseKey").s()), "row changed: " + row);
        }
        assertEquals(Optional.empty(), table.get("Leader").join());
    }

    @Test
    void aThiefReleasingMidHandoffKeepsTheHandoffForTheNextTaker(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        table.createIfAbsent(newLease(SHARD0)).join();
        Lease a = table.take(table.scanAll().join().get(0), "A").join().orElseThrow();
        Lease stolen = table.steal(a, "B").join().orElseThrow();
        assertTrue(table.release(SHARD0, "B").join(), "B shuts down before A finished");
        Lease unowned = table.get(SHARD0).join().orElseThrow();
        assertNull(unowned.leaseOwner());
        assertEquals("A", unowned.checkpointOwner());
        assertEquals(stolen.leaseCounter() + 1, unowned.leaseCounter());

        LeaseCoordinatorTest.Events c = new LeaseCoordinatorTest.Events();
        LeaseCoordinator workerC = LeaseCoordinatorTest.coordinator(table, "C", c, ConsumerMetrics.NOOP,
                new ManualScheduler(), new Random(1));
        workerC.scanAndTake();
        assertEquals(Set.of(SHARD0), workerC.heldLeaseKeys());
        assertTrue(c.acquired.isEmpty(), "C waits for A's handoff");
        assertTrue(table.checkpoint(SHARD0, "A", ExtendedSequenceNumber.of(SEQ, 0), Set.of()).join(),
                "A can still checkpoint");
        assertTrue(table.finishHandoff(SHARD0, "A").join());
        workerC.renewAll();
        assertEquals(List.of(SHARD0), c.acquired);
        assertEquals(ExtendedSequenceNumber.of(SEQ, 0), table.get(SHARD0).join().orElseThrow().checkpoint());
    }
}
