package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.kinesis.common.StreamIdentifier;
import software.amazon.kinesis.leases.MultiStreamLease;
import software.amazon.kinesis.leases.dynamodb.DynamoDBMultiStreamLeaseSerializer;

/**
 * Multi-stream lease keys and rows: ours as KCL 3.5.1's multi-stream serializer reads them, and KCL's as we read
 * them (same stream identifier, shard, checkpoint, owner and parents).
 */
class MultiStreamRowsTest {

    private static final StreamIdentity ORDERS = new StreamIdentity(
            "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", Instant.ofEpochSecond(1_700_000_000, 123_000_000));
    private static final String SHARD = "shardId-000000000007";

    @Test
    void keyIsAccountStreamCreationEpochSecondsAndShard() {
        StreamKey k = StreamKey.of(ORDERS);
        assertEquals("123456789012:orders:1700000000", k.serialize());
        assertEquals("123456789012:orders:1700000000:" + SHARD, k.leaseKey(SHARD));
        assertEquals(k, StreamKey.ofLeaseKey(k.leaseKey(SHARD)));
        assertEquals(SHARD, StreamKey.shardIdOf(k.leaseKey(SHARD)));
        assertEquals(SHARD, StreamKey.shardIdOf(SHARD));
        assertEquals("123456789012:orders:1700000000:shardId-000000000001",
                StreamKey.siblingKey(k.leaseKey(SHARD), "shardId-000000000001"));
        assertEquals("shardId-000000000001", StreamKey.siblingKey(SHARD, "shardId-000000000001"));
        assertNull(StreamKey.ofLeaseKey(SHARD));
        assertNull(StreamKey.ofLeaseKey("123456789012:orders:notanepoch:" + SHARD));
        assertNull(StreamKey.parse("orders"));
        assertTrue(k.sameNameAs(new StreamKey("123456789012", "orders", 1)));
    }

    @Test
    void keyParsesAsKclsStreamIdentifier() {
        StreamKey k = StreamKey.of(ORDERS);
        StreamIdentifier kcl = StreamIdentifier.multiStreamInstance(k.serialize());
        assertEquals("orders", kcl.streamName());
        assertEquals("123456789012", kcl.accountIdOptional().orElseThrow());
        assertEquals(1_700_000_000L, kcl.streamCreationEpochOptional().orElseThrow());
        assertEquals(k.serialize(), kcl.serialize());
        assertEquals(k.leaseKey(SHARD), MultiStreamLease.getLeaseKey(kcl.serialize(), SHARD));
    }

    @Test
    void ourRowReadsInKclsMultiStreamSerializer() {
        String key = StreamKey.of(ORDERS).leaseKey(SHARD);
        Lease ours = new Lease(key, "w1", 4, ExtendedSequenceNumber.of("4960000000000000000000001", 3), 1,
                Set.of("shardId-000000000002"), Set.of(), "0", "100", null);
        Map<String, AttributeValue> item = LeaseAttributes.toItem(ours, ORDERS);

        MultiStreamLease kcl = new DynamoDBMultiStreamLeaseSerializer().fromDynamoRecord(item);
        assertEquals(key, kcl.leaseKey());
        assertEquals("123456789012:orders:1700000000", kcl.streamIdentifier());
        assertEquals(SHARD, kcl.shardId());
        assertEquals("4960000000000000000000001", kcl.checkpoint().sequenceNumber());
        assertEquals(3L, kcl.checkpoint().subSequenceNumber());
        assertEquals("w1", kcl.leaseOwner());
        assertEquals(4L, kcl.leaseCounter());
        assertEquals(Set.of("shardId-000000000002"), kcl.parentShardIds());
    }

    @Test
    void kclsRowReadsInOurs() {
        MultiStreamLease kcl = new MultiStreamLease();
        String stream = "123456789012:orders:1700000000";
        kcl.leaseKey(MultiStreamLease.getLeaseKey(stream, SHARD));
        kcl.streamIdentifier(stream);
        kcl.shardId(SHARD);
        kcl.leaseOwner("kcl-worker");
        kcl.leaseCounter(9L);
        kcl.checkpoint(new software.amazon.kinesis.retrieval.kpl.ExtendedSequenceNumber("4960000000000000000000002",
                5L));
        kcl.ownerSwitchesSinceCheckpoint(0L);
        kcl.parentShardIds(List.of("shardId-000000000001"));
        Map<String, AttributeValue> item = new DynamoDBMultiStreamLeaseSerializer().toDynamoRecord(kcl);

        LeaseRow row = LeaseAttributes.read(item, true);
        Lease ours = assertInstanceOf(LeaseRow.Readable.class, row).lease();
        assertEquals(stream + ":" + SHARD, ours.leaseKey());
        assertEquals(StreamKey.of(ORDERS), StreamKey.ofLeaseKey(ours.leaseKey()));
        assertEquals(ExtendedSequenceNumber.of("4960000000000000000000002", 5), ours.checkpoint());
        assertEquals("kcl-worker", ours.leaseOwner());
        assertEquals(9, ours.leaseCounter());
        assertEquals(Set.of("shardId-000000000001"), ours.parentShardIds());
    }

    @Test
    void eachModeRefusesTheOthersKeys() {
        Lease single = new Lease(SHARD, null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(), Set.of(), null,
                null, null);
        Lease multi = new Lease(StreamKey.of(ORDERS).leaseKey(SHARD), null, 0, ExtendedSequenceNumber.TRIM_HORIZON,
                0, Set.of(), Set.of(), null, null, null);
        LeaseRow.Unreadable a = assertInstanceOf(LeaseRow.Unreadable.class,
                LeaseAttributes.read(LeaseAttributes.toItem(single), true));
        assertTrue(a.problem().problem().contains("single-stream"), a.problem().describe());
        LeaseRow.Unreadable b = assertInstanceOf(LeaseRow.Unreadable.class,
                LeaseAttributes.read(LeaseAttributes.toItem(multi), false));
        assertTrue(b.problem().problem().contains("multi-stream"), b.problem().describe());
    }
}
