package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class LeaseAttributesTest {

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
                        s("SOMETHING_ELSE"), "leaseCounter", n(1)),
                "multiStream", Map.of("leaseKey", s("123456789012:orders:1700000000:shardId-000000000001"),
                        "leaseCounter", n(2), "checkpoint", s("TRIM_HORIZON")));
    }

    @Test
    void rowsThatAreNotShardLeasesAreSkipped() {
        kclNonLeaseRows().forEach((name, row) -> assertTrue(LeaseAttributes.fromItem(row).isEmpty(), name));
    }

    @Test
    void readsKclLeaseRow() {
        Map<String, AttributeValue> row = Map.of(
                "leaseKey", s("shardId-000000000001"), "leaseOwner", s("w1"), "leaseCounter", n(42),
                "checkpoint", s("49590338271490256608559692538361571095921575989136588898"),
                "checkpointSubSequenceNumber", n(3), "ownerSwitchesSinceCheckpoint", n(1),
                "parentShardId", AttributeValue.builder().ss("shardId-000000000000").build(),
                "startingHashKey", s("0"), "endingHashKey", s("170141183460469231731687303715884105727"),
                "entityType", s("LEASE"));
        Lease l = LeaseAttributes.fromItem(row).orElseThrow();
        assertEquals("w1", l.leaseOwner());
        assertEquals(42, l.leaseCounter());
        assertEquals(ExtendedSequenceNumber.of("49590338271490256608559692538361571095921575989136588898", 3),
                l.checkpoint());
        assertEquals(Set.of("shardId-000000000000"), l.parentShardIds());
        assertEquals("0", l.startingHashKey());
    }

    @Test
    void roundTripsSentinelsAndSets() {
        Lease l = new Lease("shardId-000000000002", null, 0, ExtendedSequenceNumber.LATEST, 0,
                Set.of("shardId-000000000000", "shardId-000000000001"), Set.of(), "5", "10", null);
        Map<String, AttributeValue> item = LeaseAttributes.toItem(l);
        assertEquals("LATEST", item.get("checkpoint").s());
        assertEquals("LEASE", item.get("entityType").s());
        assertEquals("0", item.get("checkpointSubSequenceNumber").n());
        assertEquals("0", item.get("leaseCounter").n());
        assertTrue(!item.containsKey("leaseOwner"));
        assertEquals(l, LeaseAttributes.fromItem(item).orElseThrow());
    }
}
