package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class LeaseAttributesTest {

    static final String SHARD1 = "shardId-000000000001";

    static AttributeValue s(String v) {
        return AttributeValue.builder().s(v).build();
    }

    static AttributeValue n(long v) {
        return AttributeValue.builder().n(Long.toString(v)).build();
    }

    /**
     * Rows KCL 3.x writes into the same table, none of them shard leases (keys and entity types as KCL 3.5.1 wrote
     * them against the local endpoints: see KclMigrationIntegrationTest's output).
     */
    static Map<String, Map<String, AttributeValue>> kclNonLeaseRows() {
        return Map.of(
                "leader", Map.of("leaseKey", s("Leader"), "leaseOwner", s("kcl-worker-1"), "leaseCounter", n(5),
                        "entityType", s("LEADER")),
                "workerMetrics", Map.of("leaseKey", s("kcl-worker"), "entityType", s("WORKER_METRIC_STATS"),
                        "lut", n(123)),
                "migration", Map.of("leaseKey", s("Migration3.0"), "entityType",
                        s("CLIENT_VERSION_MIGRATION"), "cv", s("CLIENT_VERSION_3X")),
                "otherEntityWithShardKey", Map.of("leaseKey", s("shardId-000000000009"), "entityType",
                        s("SOMETHING_ELSE"), "leaseCounter", n(1)));
    }

    /** A lease row of a KCL multi-stream application (key account:stream:creationEpoch:shardId). */
    static Map<String, AttributeValue> multiStreamRow() {
        return Map.of("leaseKey", s("123456789012:orders:1700000000:shardId-000000000001"), "leaseCounter", n(2),
                "checkpoint", s("TRIM_HORIZON"), "streamName", s("123456789012:orders:1700000000"),
                "shardId", s(SHARD1));
    }

    static Map<String, AttributeValue> goodRow() {
        Map<String, AttributeValue> row = new HashMap<>();
        row.put("leaseKey", s(SHARD1));
        row.put("leaseCounter", n(4));
        row.put("checkpoint", s("TRIM_HORIZON"));
        row.put("checkpointSubSequenceNumber", n(0));
        return row;
    }

    private static RowProblem problemOf(Map<String, AttributeValue> row) {
        return assertInstanceOf(LeaseRow.Unreadable.class, LeaseAttributes.read(row)).problem();
    }

    @Test
    void rowsOfKclsOtherEntityTypesAreNotLeases() {
        kclNonLeaseRows().forEach((name, row) -> assertInstanceOf(LeaseRow.OtherEntity.class,
                LeaseAttributes.read(row), name));
    }

    @Test
    void aMultiStreamLeaseIsUnreadableNamingTheKeyAndTheSetting() {
        RowProblem p = problemOf(multiStreamRow());
        assertEquals("123456789012:orders:1700000000:shardId-000000000001", p.leaseKey());
        assertEquals("leaseKey", p.attribute());
        assertTrue(p.problem().contains("multi-stream"), p.problem());
        assertTrue(p.repair().contains("leaseTableName") && p.repair().contains("applicationName"), p.repair());
    }

    @Test
    void aMissingLeaseCounterIsUnreadable() {
        Map<String, AttributeValue> row = goodRow();
        row.remove("leaseCounter");
        RowProblem p = problemOf(row);
        assertEquals(SHARD1, p.leaseKey());
        assertEquals("leaseCounter", p.attribute());
        assertEquals("(missing)", p.value());
        assertTrue(p.repair().contains("delete the row") && p.repair().contains("initialPosition"), p.repair());
    }

    @Test
    void anUnparsableCheckpointIsUnreadableNamingTheValue() {
        Map<String, AttributeValue> row = goodRow();
        row.put("checkpoint", s("0123"));
        RowProblem p = problemOf(row);
        assertEquals("checkpoint", p.attribute());
        assertEquals("\"0123\"", p.value());
        assertTrue(p.describe().contains("row " + SHARD1) && p.describe().contains("leading zeros"), p.describe());
    }

    @Test
    void everyAttributeOfTheWrongTypeIsUnreadable() {
        Map<String, AttributeValue> wrong = Map.of(
                "leaseCounter", s("7"),
                "leaseOwner", n(1),
                "checkpoint", n(5),
                "checkpointSubSequenceNumber", s("x"),
                "ownerSwitchesSinceCheckpoint", s("1"),
                "parentShardId", s("shardId-000000000000"),
                "childShardIds", s("shardId-000000000002"),
                "checkpointOwner", n(3),
                "startingHashKey", s("abc"));
        wrong.forEach((attribute, value) -> {
            Map<String, AttributeValue> row = goodRow();
            row.put(attribute, value);
            if (attribute.equals("startingHashKey")) {
                row.put("endingHashKey", s("10"));
            }
            assertEquals(attribute, problemOf(row).attribute(), attribute);
        });
        Map<String, AttributeValue> row = goodRow();
        row.put("leaseCounter", AttributeValue.builder().n("1.5").build());
        assertEquals("leaseCounter", problemOf(row).attribute());
        Map<String, AttributeValue> oneHashKey = goodRow();
        oneHashKey.put("startingHashKey", s("0"));
        assertEquals("endingHashKey", problemOf(oneHashKey).attribute());
    }

    @Test
    void aMissingCheckpointIsUnreadableNotReadAsTrimHorizon() {
        Map<String, AttributeValue> row = goodRow();
        row.remove("checkpoint");
        assertEquals("checkpoint", problemOf(row).attribute());
    }

    @Test
    void readsKclLeaseRow() {
        Map<String, AttributeValue> row = Map.of(
                "leaseKey", s(SHARD1), "leaseOwner", s("w1"), "leaseCounter", n(42),
                "checkpoint", s("49590338271490256608559692538361571095921575989136588898"),
                "checkpointSubSequenceNumber", n(3), "ownerSwitchesSinceCheckpoint", n(1),
                "parentShardId", AttributeValue.builder().ss("shardId-000000000000").build(),
                "startingHashKey", s("0"), "endingHashKey", s("170141183460469231731687303715884105727"),
                "entityType", s("LEASE"));
        row = new HashMap<>(row);
        row.put("throughputKBps", AttributeValue.builder().n("1.5").build()); // KCL 3.x's, ignored
        LeaseRow.Readable r = assertInstanceOf(LeaseRow.Readable.class, LeaseAttributes.read(row));
        Lease l = r.lease();
        assertNull(r.stream(), "KCL rows name no stream");
        assertEquals("w1", l.leaseOwner());
        assertEquals(42, l.leaseCounter());
        assertEquals(ExtendedSequenceNumber.of("49590338271490256608559692538361571095921575989136588898", 3),
                l.checkpoint());
        assertEquals(Set.of("shardId-000000000000"), l.parentShardIds());
        assertEquals("0", l.startingHashKey());
    }

    @Test
    void roundTripsSentinelsSetsAndTheStream() {
        Lease l = new Lease("shardId-000000000002", null, 0, ExtendedSequenceNumber.LATEST, 0,
                Set.of("shardId-000000000000", "shardId-000000000001"), Set.of(), "5", "10", null);
        StreamIdentity stream = new StreamIdentity("arn:aws:kinesis:us-east-1:000000000000:stream/orders",
                Instant.parse("2026-01-02T03:04:05.678Z"));
        Map<String, AttributeValue> item = LeaseAttributes.toItem(l, stream);
        assertEquals("LATEST", item.get("checkpoint").s());
        assertEquals("LEASE", item.get("entityType").s());
        assertEquals("0", item.get("checkpointSubSequenceNumber").n());
        assertEquals("0", item.get("leaseCounter").n());
        assertEquals(stream.streamArn(), item.get("purekinesisStreamArn").s());
        assertEquals("2026-01-02T03:04:05.678Z", item.get("purekinesisStreamCreated").s());
        assertTrue(!item.containsKey("leaseOwner"));
        assertTrue(!item.containsKey("streamName"), "not KCL's multi-stream attribute");
        assertEquals(new LeaseRow.Readable(l, stream), LeaseAttributes.read(item));
    }

    @Test
    void aHalfWrittenStreamIdentityIsUnreadable() {
        Map<String, AttributeValue> row = goodRow();
        row.put("purekinesisStreamArn", s("arn:aws:kinesis:us-east-1:000000000000:stream/orders"));
        assertEquals("purekinesisStreamCreated", problemOf(row).attribute());
        row.put("purekinesisStreamCreated", s("yesterday"));
        assertEquals("purekinesisStreamCreated", problemOf(row).attribute());
    }
}
