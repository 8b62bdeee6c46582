package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributesTest.n;
import static io.purekinesis.consumer.internal.lease.LeaseAttributesTest.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/** The lease and worker tables' setup and conditional writes against DynamoDB Local (real semantics). */
@ExtendWith(LocalEndpointsExtension.class)
class LeaseTableIntegrationTest {

    /** DynamoDB Local is real: the wait for a new table to become ACTIVE takes real time. */
    private static final Time REAL_TIME = Time.of(new MonotonicClock());

    private static final String SHARD0 = "shardId-000000000000";
    private static final String SHARD1 = "shardId-000000000001";
    private static final String SEQ = "49590338271490256608559692538361571095921575989136588801";

    private static LeaseTable table(DynamoDbAsyncClient dynamo) throws InterruptedException {
        String name = Streams.uniqueStreamName("leases");
        new LeaseTableSetup(dynamo, name, name + "-workers", REAL_TIME).ensure(Duration.ofSeconds(30));
        return new LeaseTable(dynamo, name);
    }

    private static Lease newLease(String key) {
        return new Lease(key, null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(), Set.of(), "0", "10", null);
    }

    private static Map<String, AttributeValue> raw(DynamoDbAsyncClient dynamo, LeaseTable table, String key) {
        return dynamo.getItem(b -> b.tableName(table.tableName()).key(LeaseAttributes.key(key)).consistentRead(true))
                .join().item();
    }

    private static TableDescription describe(DynamoDbAsyncClient dynamo, String table) {
        return dynamo.describeTable(b -> b.tableName(table)).join().table();
    }

    @Test
    void assignHandoffAndCheckpointWithRealConditions(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        assertTrue(table.createIfAbsent(newLease(SHARD0)).join());
        assertFalse(table.createIfAbsent(newLease(SHARD0)).join(), "second create loses");

        assertTrue(table.assign(SHARD0, null, "A").join());
        assertFalse(table.assign(SHARD0, null, "B").join(), "assigning an unowned lease that is owned by now loses");
        Lease a = table.get(SHARD0).join().orElseThrow();
        assertEquals("A", a.leaseOwner());
        assertEquals(1, a.leaseCounter(), "the counter moves on every owner change, as KCL expects");
        assertFalse(table.checkpoint(SHARD0, "B", ExtendedSequenceNumber.of(SEQ, 0), Set.of()).join(),
                "only the owner checkpoints");

        // graceful handoff A -> B, in KCL 3.x's format
        assertTrue(table.startHandoff(SHARD0, "A", "B").join());
        Lease handingOff = table.get(SHARD0).join().orElseThrow();
        assertEquals("B", handingOff.leaseOwner());
        assertEquals("A", handingOff.checkpointOwner());
        assertEquals(a.leaseCounter(), handingOff.leaseCounter(), "starting a handoff does not bump the counter");
        assertFalse(table.startHandoff(SHARD0, "B", "C").join(), "no second handoff while one is pending");
        assertFalse(table.checkpoint(SHARD0, "B", ExtendedSequenceNumber.of(SEQ, 0), Set.of()).join(),
                "the new owner cannot checkpoint before the handoff ends");
        assertTrue(table.checkpoint(SHARD0, "A", ExtendedSequenceNumber.of(SEQ, 0), Set.of()).join(),
                "the previous owner checkpoints during the handoff");
        assertFalse(table.finishHandoff(SHARD0, "B").join(), "only the checkpoint owner finishes it");
        assertTrue(table.finishHandoff(SHARD0, "A").join());
        Lease b = table.get(SHARD0).join().orElseThrow();
        assertNull(b.checkpointOwner());
        assertEquals(a.leaseCounter() + 1, b.leaseCounter());
        assertFalse(table.checkpoint(SHARD0, "A", ExtendedSequenceNumber.of(SEQ, 1), Set.of()).join(),
                "the previous owner cannot checkpoint after the handoff");

        // a forced end of a handoff whose previous owner died
        assertTrue(table.startHandoff(SHARD0, "B", "C").join());
        assertFalse(table.forceHandoff(SHARD0, "C", "X").join(), "only the handoff pending is ended");
        assertTrue(table.forceHandoff(SHARD0, "C", "B").join());
        assertNull(table.get(SHARD0).join().orElseThrow().checkpointOwner());

        // a dead worker's lease reassigned keeps a pending handoff for its new owner to wait on
        assertTrue(table.startHandoff(SHARD0, "C", "D").join());
        assertTrue(table.assign(SHARD0, "D", "E").join());
        Lease reassigned = table.get(SHARD0).join().orElseThrow();
        assertEquals("E", reassigned.leaseOwner());
        assertEquals("C", reassigned.checkpointOwner());
        assertTrue(table.finishHandoff(SHARD0, "C").join());

        assertTrue(table.checkpoint(SHARD0, "E", ExtendedSequenceNumber.SHARD_END,
                Set.of("shardId-000000000001", "shardId-000000000002")).join());
        Lease ended = table.get(SHARD0).join().orElseThrow();
        assertTrue(ended.isCompleted());
        assertEquals(Set.of("shardId-000000000001", "shardId-000000000002"), ended.childShardIds());
        assertFalse(table.startHandoff(SHARD0, "E", "F").join(), "a finished lease is not balanced");
        assertTrue(table.isCompletedOrGone(SHARD0).join());
        assertTrue(table.isCompletedOrGone("shardId-000000000099").join(), "a deleted parent gates nothing");

        assertTrue(table.release(SHARD0, "E").join());
        assertNull(table.get(SHARD0).join().orElseThrow().leaseOwner());
        assertFalse(table.release(SHARD0, "E").join());
    }

    @Test
    void aNewLeaseTableHasKclsOwnerIndexAndWorkersFindTheirLeasesThroughIt(DynamoDbAsyncClient dynamo)
            throws Exception {
        LeaseTable table = table(dynamo);
        assertTrue(LeaseTableSetup.hasOwnerIndex(describe(dynamo, table.tableName())));
        table.createIfAbsent(newLease(SHARD0)).join();
        table.createIfAbsent(newLease(SHARD1)).join();
        table.assign(SHARD0, null, "A").join();
        table.assign(SHARD1, null, "B").join();
        assertEquals(List.of(SHARD0), table.ownedKeys("A").join());
        assertEquals(List.of(SHARD1), table.ownedKeys("B").join());
        assertEquals(List.of(), table.ownedKeys("C").join());
        // until the index is ACTIVE (minutes of backfill on AWS) the same answer comes from a scan
        LeaseTable noIndexYet = new LeaseTable(dynamo, table.tableName(), () -> false);
        assertEquals(List.of(SHARD0), noIndexYet.ownedKeys("A").join());
    }

    @Test
    void anExistingLeaseTableWithoutTheIndexGetsIt(DynamoDbAsyncClient dynamo) throws Exception {
        String name = Streams.uniqueStreamName("kcl2");
        dynamo.createTable(b -> b.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .keySchema(KeySchemaElement.builder().attributeName("leaseKey").keyType(KeyType.HASH).build())
                .attributeDefinitions(AttributeDefinition.builder().attributeName("leaseKey")
                        .attributeType(ScalarAttributeType.S).build())).join();
        new LeaseTableSetup(dynamo, name, name + "-workers", REAL_TIME).ensure(Duration.ofSeconds(30));
        assertTrue(LeaseTableSetup.hasOwnerIndex(describe(dynamo, name)));
        assertEquals("ACTIVE", describe(dynamo, name + "-workers").tableStatusAsString());
        new LeaseTableSetup(dynamo, name, name + "-workers", REAL_TIME).ensure(Duration.ofSeconds(5)); // idempotent
        LeaseTable table = new LeaseTable(dynamo, name);
        table.createIfAbsent(newLease(SHARD0)).join();
        table.assign(SHARD0, null, "A").join();
        assertEquals(List.of(SHARD0), table.ownedKeys("A").join());
    }

    @Test
    void tablesCreatedActiveAreUsedWithoutWaiting(DynamoDbAsyncClient dynamo) throws Exception {
        // DynamoDB Local creates tables ACTIVE: the set-up looks again at once instead of sleeping a poll interval
        // per table (start-up to first record counts every 100 ms). The early describe is the first look.
        String name = Streams.uniqueStreamName("fresh");
        ManualScheduler time = new ManualScheduler();
        LeaseTableSetup setup = new LeaseTableSetup(dynamo, name, name + "-workers", time);
        setup.describeEarly();
        setup.ensure(Duration.ofSeconds(30));
        assertEquals(Duration.ZERO, time.elapsed());
        assertTrue(LeaseTableSetup.isOwnerIndexActive(describe(dynamo, name)));
        assertEquals("ACTIVE", describe(dynamo, name + "-workers").tableStatusAsString());
    }

    @Test
    void workerRowsHeartbeatEvictionAndRejoin(DynamoDbAsyncClient dynamo) throws Exception {
        String name = Streams.uniqueStreamName("fleet");
        new LeaseTableSetup(dynamo, name, name + "-workers", REAL_TIME).ensure(Duration.ofSeconds(30));
        WorkerTable workers = new WorkerTable(dynamo, name + "-workers", "app");
        WorkerTable otherApp = new WorkerTable(dynamo, name + "-workers", "other-app");
        WorkerRow first = workers.heartbeat("A", 1000, 0, false).join();
        assertEquals(new WorkerRow("A", 1000, 1, 0, 0, false, null), first);
        workers.heartbeat("B", 1000, 0, false).join();
        otherApp.heartbeat("Z", 1000, 0, false).join();
        assertTrue(workers.assigned("A", 3).join());
        assertFalse(workers.assigned("nobody", 1).join(), "no row is created for a worker that is not there");
        WorkerRow second = workers.heartbeat("A", 2000, 3, false).join();
        assertEquals(1, second.assignVersion(), "the heartbeat's answer carries the new assignVersion");
        assertEquals(2, second.beats());
        assertEquals(List.of("A", "B"), workers.all().join().stream().map(WorkerRow::workerId).toList(),
                "one fleet per application");

        assertFalse(workers.evict("A", first.beats(), 9000).join(), "it beat since: spared");
        assertTrue(workers.evict("A", second.beats(), 9000).join());
        assertFalse(workers.evict("A", second.beats(), 9001).join(), "one detector wins");
        WorkerRow evicted = workers.heartbeat("A", 9500, 3, false).join();
        assertEquals(9000L, evicted.evictedAt(), "the evicted worker learns it from its next heartbeat");
        assertTrue(workers.drained("A", 9000).join());
        assertTrue(workers.rejoin("A", 9000).join());
        assertFalse(workers.get("A").join().orElseThrow().isEvicted());
        assertFalse(workers.deleteEvicted("A", 9000).join(), "a rejoined worker's row stays");
        assertTrue(workers.heartbeat("B", 3000, 0, true).join().leaving());
        assertTrue(workers.delete("B").join());
        assertEquals(Optional.empty(), workers.get("B").join());
    }

    @Test
    void kclRowsOfOtherKindsAreLeftUntouched(DynamoDbAsyncClient dynamo) throws Exception {
        LeaseTable table = table(dynamo);
        Map<String, Map<String, AttributeValue>> others = LeaseAttributesTest.kclNonLeaseRows();
        for (Map<String, AttributeValue> row : others.values()) {
            dynamo.putItem(b -> b.tableName(table.tableName()).item(row)).join();
        }
        Map<String, AttributeValue> leaseRow = new HashMap<>(Map.of("leaseKey", s(SHARD0), "leaseCounter", n(0),
                "checkpoint", s("TRIM_HORIZON"), "checkpointSubSequenceNumber", n(0), "leaseOwner", s("A")));
        dynamo.putItem(b -> b.tableName(table.tableName()).item(leaseRow)).join();

        assertEquals(List.of(SHARD0), table.ownedKeys("A").join());
        assertEquals(List.of(SHARD0), table.scanAll().join().stream().map(Lease::leaseKey).toList());
        assertTrue(table.startHandoff(SHARD0, "A", "B").join());
        assertTrue(table.finishHandoff(SHARD0, "A").join());
        assertTrue(table.release(SHARD0, "B").join());
        for (Map<String, AttributeValue> row : others.values()) {
            assertEquals(row, raw(dynamo, table, row.get("leaseKey").s()), "row changed: " + row);
        }
        assertEquals(Optional.empty(), table.get("Leader").join());
    }
}
