package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The lease table's attribute names, the same as KCL 2.x/3.x's {@code DynamoDBLeaseSerializer}, and the mapping
 * between rows and {@link Lease}. Rows that are not shard leases (KCL 3.x's leader lock, worker metrics,
 * migration marker, or multi-stream keys) are recognised and left alone.
 */
public final class LeaseAttributes {

    public static final String LEASE_KEY = "leaseKey";
    public static final String LEASE_OWNER = "leaseOwner";
    public static final String LEASE_COUNTER = "leaseCounter";
    public static final String CHECKPOINT = "checkpoint";
    public static final String CHECKPOINT_SUB_SEQUENCE_NUMBER = "checkpointSubSequenceNumber";
    public static final String OWNER_SWITCHES_SINCE_CHECKPOINT = "ownerSwitchesSinceCheckpoint";
    public static final String PENDING_CHECKPOINT = "pendingCheckpoint";
    public static final String PENDING_CHECKPOINT_SUB_SEQUENCE_NUMBER = "pendingCheckpointSubSequenceNumber";
    public static final String PENDING_CHECKPOINT_STATE = "pendingCheckpointState";
    public static final String PARENT_SHARD_ID = "parentShardId";
    public static final String CHILD_SHARD_IDS = "childShardIds";
    public static final String STARTING_HASH_KEY = "startingHashKey";
    public static final String ENDING_HASH_KEY = "endingHashKey";
    public static final String CHECKPOINT_OWNER = "checkpointOwner";
    /** KCL 3.5 marks each row's kind; shard leases have none or {@link #ENTITY_TYPE_LEASE}. */
    public static final String ENTITY_TYPE = "entityType";
    public static final String ENTITY_TYPE_LEASE = "LEASE";

    private static final Pattern SHARD_ID = Pattern.compile("shardId-[0-9]+");

    private LeaseAttributes() {
    }

    /** True for keys of single-stream shard leases, the only rows this consumer touches. */
    public static boolean isShardLeaseKey(String key) {
        return key != null && SHARD_ID.matcher(key).matches();
    }

    /** The lease in a row, or empty when the row is not a single-stream shard lease. */
    public static Optional<Lease> fromItem(Map<String, AttributeValue> item) {
        String key = string(item, LEASE_KEY);
        if (!isShardLeaseKey(key)) {
            return Optional.empty();
        }
        String entityType = string(item, ENTITY_TYPE);
        if (entityType != null && !ENTITY_TYPE_LEASE.equals(entityType)) {
            return Optional.empty();
        }
        String checkpointSeq = string(item, CHECKPOINT);
        ExtendedSequenceNumber checkpoint;
        try {
            checkpoint = checkpointSeq == null ? ExtendedSequenceNumber.TRIM_HORIZON
                    : ExtendedSequenceNumber.of(checkpointSeq, number(item, CHECKPOINT_SUB_SEQUENCE_NUMBER));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.of(new Lease(key, string(item, LEASE_OWNER), number(item, LEASE_COUNTER), checkpoint,
                number(item, OWNER_SWITCHES_SINCE_CHECKPOINT), stringSet(item, PARENT_SHARD_ID),
                stringSet(item, CHILD_SHARD_IDS), string(item, STARTING_HASH_KEY), string(item, ENDING_HASH_KEY),
                string(item, CHECKPOINT_OWNER)));
    }

    /** The full row for a new lease (KCL 3.5's attributes; a KCL 2.x reader ignores entityType). */
    public static Map<String, AttributeValue> toItem(Lease lease) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put(LEASE_KEY, s(lease.leaseKey()));
        item.put(ENTITY_TYPE, s(ENTITY_TYPE_LEASE)); // as KCL 3.5 writes; KCL 2.x ignores it
        item.put(LEASE_COUNTER, n(lease.leaseCounter()));
        if (lease.leaseOwner() != null) {
            item.put(LEASE_OWNER, s(lease.leaseOwner()));
        }
        item.put(CHECKPOINT, s(lease.checkpoint().sequenceNumber()));
        item.put(CHECKPOINT_SUB_SEQUENCE_NUMBER, n(lease.checkpoint().subSequenceNumber()));
        item.put(OWNER_SWITCHES_SINCE_CHECKPOINT, n(lease.ownerSwitchesSinceCheckpoint()));
        if (!lease.parentShardIds().isEmpty()) {
            item.put(PARENT_SHARD_ID, AttributeValue.builder().ss(lease.parentShardIds()).build());
        }
        if (!lease.childShardIds().isEmpty()) {
            item.put(CHILD_SHARD_IDS, AttributeValue.builder().ss(lease.childShardIds()).build());
        }
        if (lease.startingHashKey() != null && lease.endingHashKey() != null) {
            item.put(STARTING_HASH_KEY, s(lease.startingHashKey()));
            item.put(ENDING_HASH_KEY, s(lease.endingHashKey()));
        }
        if (lease.checkpointOwner() != null) {
            item.put(CHECKPOINT_OWNER, s(lease.checkpointOwner()));
        }
        return item;
    }

    public static Map<String, AttributeValue> key(String leaseKey) {
        return Map.of(LEASE_KEY, s(leaseKey));
    }

    static AttributeValue s(String value) {
        return AttributeValue.builder().s(value).build();
    }

    static AttributeValue n(long value) {
        return AttributeValue.builder().n(Long.toString(value)).build();
    }

    private static String string(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    private static long number(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        if (v == null || v.n() == null) {
            return 0;
        }
        try {
            return Long.parseLong(v.n());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Set<String> stringSet(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || !v.hasSs() ? Set.of() : new HashSet<>(v.ss());
    }
}
