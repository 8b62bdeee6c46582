package io.purekinesis.consumer.internal.lease;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The lease table's attribute names, the same as KCL 2.x/3.x's {@code DynamoDBLeaseSerializer}, and the mapping
 * between rows and {@link Lease}. Rows of KCL 3.x's other entity types (leader lock, worker metrics, migration
 * state) are recognised and left alone; every other row is either a lease or {@link LeaseRow.Unreadable}, naming
 * the attribute at fault and how to repair it.
 *
 * <p>Stream identity: {@link #STREAM_ARN} and {@link #STREAM_CREATED} are ours. KCL reads only the attributes it
 * knows (its serializer ignores the rest), creates rows only with a conditional PutItem of a new item, and changes
 * them only with UpdateItem of named attributes, so it neither trips over them nor drops them. They are not KCL's
 * multi-stream {@code streamName}, which KCL would parse as {@code account:stream:creationEpoch}.
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
    /**
     * KCL's multi-stream rows: the stream as {@code account:stream:creationEpoch} ({@link StreamKey}; named
     * "streamName" in KCL for legacy reasons), written on every row of a multi-stream table, as KCL writes it.
     */
    public static final String MULTI_STREAM_NAME = "streamName";
    /** KCL's multi-stream rows: the shard id (the key's last part). */
    public static final String MULTI_STREAM_SHARD_ID = "shardId";
    /** Ours: the ARN of the stream whose shard the row leases. */
    public static final String STREAM_ARN = "purekinesisStreamArn";
    /** Ours: when that stream was created (ISO-8601, as Kinesis reports it). */
    public static final String STREAM_CREATED = "purekinesisStreamCreated";

    /** What deleting a lease row does, for repair advice. */
    static final String DELETING_A_ROW = "deleting it loses the shard's checkpoint: the next shard sync creates a "
            + "new lease at TRIM_HORIZON when the shard has a parent, else at the configured initialPosition (so "
            + "records are read again, or with LATEST skipped), and none when a child shard already has a lease";

    private static final Pattern SHARD_ID = Pattern.compile("shardId-[0-9]+");
    private static final Pattern MULTI_STREAM_KEY = Pattern.compile("[0-9]+:[^:]+:[0-9]+:.+");

    private LeaseAttributes() {
    }

    /** True for keys of single-stream shard leases, the only rows this consumer touches. */
    public static boolean isShardLeaseKey(String key) {
        return key != null && SHARD_ID.matcher(key).matches();
    }

    /** True for keys of multi-stream shard leases ({@code account:stream:creationEpoch:shardId}). */
    public static boolean isMultiStreamLeaseKey(String key) {
        return StreamKey.ofLeaseKey(key) != null;
    }

    /** True for keys of shard leases of the mode: multi-stream keys, or shard ids. */
    public static boolean isLeaseKey(String key, boolean multiStream) {
        return multiStream ? isMultiStreamLeaseKey(key) : isShardLeaseKey(key);
    }

    /** What the row is, read by a single-stream consumer. */
    public static LeaseRow read(Map<String, AttributeValue> item) {
        return read(item, false);
    }

    /**
     * What the row is: a lease (with the stream it names, if any), an unreadable lease, or another entity. A
     * multi-stream consumer reads multi-stream keys only; a single-stream consumer shard ids only.
     */
    public static LeaseRow read(Map<String, AttributeValue> item, boolean multiStream) {
        AttributeValue keyValue = item.get(LEASE_KEY);
        String key = keyValue == null ? null : keyValue.s();
        String shownKey = key != null ? key : String.valueOf(keyValue);
        AttributeValue type = item.get(ENTITY_TYPE);
        if (type != null && type.s() == null) {
            return unreadable(shownKey, ENTITY_TYPE, type, "not a string",
                    "set it to LEASE (or remove it) for a shard lease, " + orDelete());
        }
        if (type != null && !ENTITY_TYPE_LEASE.equals(type.s())) {
            return new LeaseRow.OtherEntity(shownKey, type.s());
        }
        if (multiStream && !isMultiStreamLeaseKey(key)) {
            return unreadable(shownKey, LEASE_KEY, keyValue, isShardLeaseKey(key)
                    ? "a single-stream lease key (a shard id): the table belongs to a single-stream application, and "
                            + "this consumer reads several streams (multi-stream keys account:stream:creationEpoch:"
                            + "shardId)"
                    : "not a multi-stream lease key (account:stream:creationEpoch:shardId)",
                    "give this consumer a lease table of its own (set leaseTableName, or applicationName, which names"
                            + " the table by default); delete the row only if no application uses it");
        }
        if (!multiStream && !isShardLeaseKey(key)) {
            boolean multiStreamKey = key != null && MULTI_STREAM_KEY.matcher(key).matches();
            return unreadable(shownKey, LEASE_KEY, keyValue, multiStreamKey
                    ? "a KCL multi-stream lease key (account:stream:creationEpoch:shardId): the table belongs to a "
                            + "multi-stream application, and this consumer reads one stream"
                    : "not a shard id (shardId-<digits>) of a single-stream application",
                    "give this consumer a lease table of its own (set leaseTableName, or applicationName, which names"
                            + " the table by default); delete the row only if no application uses it");
        }
        try {
            return new LeaseRow.Readable(lease(key, item), identity(item));
        } catch (BadAttribute e) {
            return unreadable(key, e.attribute, item.get(e.attribute), e.problem, e.repair);
        }
    }

    private static Lease lease(String key, Map<String, AttributeValue> item) {
        long counter = requiredNumber(item, LEASE_COUNTER);
        String owner = optionalString(item, LEASE_OWNER, "the id of the worker holding the lease");
        long sub = optionalNumber(item, CHECKPOINT_SUB_SEQUENCE_NUMBER);
        AttributeValue cp = item.get(CHECKPOINT);
        if (cp == null || cp.s() == null) {
            throw new BadAttribute(CHECKPOINT, cp == null ? "the row does not say where to resume"
                    : "not a string", "set it to the last processed sequence number, or TRIM_HORIZON / LATEST / "
                            + "AT_TIMESTAMP / SHARD_END, " + orDelete());
        }
        ExtendedSequenceNumber checkpoint;
        try {
            checkpoint = ExtendedSequenceNumber.of(cp.s(), sub);
        } catch (IllegalArgumentException e) {
            throw new BadAttribute(CHECKPOINT, e.getMessage(), "set it to a sequence number of the shard, or "
                    + "TRIM_HORIZON / LATEST / AT_TIMESTAMP / SHARD_END, " + orDelete());
        }
        long switches = optionalNumber(item, OWNER_SWITCHES_SINCE_CHECKPOINT);
        Set<String> parents = optionalStringSet(item, PARENT_SHARD_ID);
        Set<String> children = optionalStringSet(item, CHILD_SHARD_IDS);
        String start = optionalString(item, STARTING_HASH_KEY, "a decimal hash key");
        String end = optionalString(item, ENDING_HASH_KEY, "a decimal hash key");
        if ((start == null) != (end == null)) {
            String missing = start == null ? STARTING_HASH_KEY : ENDING_HASH_KEY;
            throw new BadAttribute(missing, "missing while " + (start == null ? ENDING_HASH_KEY : STARTING_HASH_KEY)
                    + " is set", "set both to the shard's hash key range (ListShards), or remove both");
        }
        if (start != null) {
            try {
                HashKeyRange.of(start, end);
            } catch (IllegalArgumentException e) {
                throw new BadAttribute(STARTING_HASH_KEY, "with " + ENDING_HASH_KEY + " " + end
                        + " not a valid hash key range (" + e.getMessage() + ")",
                        "set both to the shard's hash key range (ListShards), or remove both");
            }
        }
        String checkpointOwner = optionalString(item, CHECKPOINT_OWNER, "the id of the worker finishing a handoff");
        return new Lease(key, owner, counter, checkpoint, switches, parents, children, start, end, checkpointOwner);
    }

    private static StreamIdentity identity(Map<String, AttributeValue> item) {
        String arn = optionalString(item, STREAM_ARN, "the stream's ARN");
        String created = optionalString(item, STREAM_CREATED, "the stream's creation time (ISO-8601)");
        if (arn == null && created == null) {
            return null;
        }
        String both = "remove both " + STREAM_ARN + " and " + STREAM_CREATED
                + " (the next take or checkpoint writes them again)";
        if (arn == null || created == null) {
            throw new BadAttribute(arn == null ? STREAM_ARN : STREAM_CREATED, "missing while the other is set", both);
        }
        try {
            return new StreamIdentity(arn, Instant.parse(created));
        } catch (DateTimeParseException e) {
            throw new BadAttribute(STREAM_CREATED, "not an ISO-8601 time", both);
        }
    }

    /** The full row for a new lease (KCL 3.5's attributes; a KCL 2.x reader ignores entityType), with no stream. */
    public static Map<String, AttributeValue> toItem(Lease lease) {
        return toItem(lease, null);
    }

    /** The full row for a new lease, naming {@code stream} when not null. */
    public static Map<String, AttributeValue> toItem(Lease lease, StreamIdentity stream) {
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
        StreamKey multi = StreamKey.ofLeaseKey(lease.leaseKey());
        if (multi != null) {
            // as KCL's multi-stream serializer writes them; the key alone names the stream and its creation
            item.put(MULTI_STREAM_NAME, s(multi.serialize()));
            item.put(MULTI_STREAM_SHARD_ID, s(StreamKey.shardIdOf(lease.leaseKey())));
        } else if (stream != null) {
            item.put(STREAM_ARN, s(stream.streamArn()));
            item.put(STREAM_CREATED, s(stream.created().toString()));
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

    private static String orDelete() {
        return "or delete the row (" + DELETING_A_ROW + ")";
    }

    private static LeaseRow unreadable(String key, String attribute, AttributeValue value, String problem,
            String repair) {
        return new LeaseRow.Unreadable(new RowProblem(key, attribute, show(value), problem, repair));
    }

    /** The stored value for messages: the string or number itself, else the SDK's rendering of its type. */
    static String show(AttributeValue v) {
        if (v == null) {
            return RowProblem.MISSING;
        }
        if (v.s() != null) {
            return "\"" + v.s() + "\"";
        }
        if (v.n() != null) {
            return v.n();
        }
        String all = v.toString();
        return all.length() > 200 ? all.substring(0, 200) + "..." : all;
    }

    private static long requiredNumber(Map<String, AttributeValue> item, String name) {
        if (!item.containsKey(name)) {
            throw new BadAttribute(name, "every lease row needs one (takes and renewals are conditional on it)",
                    "set it to a number, e.g. 0 for an unowned lease, " + orDelete());
        }
        return optionalNumber(item, name);
    }

    private static long optionalNumber(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        if (v == null) {
            return 0;
        }
        String repair = "set it to a whole number (e.g. 0), " + orDelete();
        if (v.n() == null) {
            throw new BadAttribute(name, "not a number", repair);
        }
        try {
            long value = Long.parseLong(v.n());
            if (value < 0) {
                throw new BadAttribute(name, "negative", repair);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new BadAttribute(name, "not a whole number within 64 bits", repair);
        }
    }

    private static String optionalString(Map<String, AttributeValue> item, String name, String what) {
        AttributeValue v = item.get(name);
        if (v == null) {
            return null;
        }
        if (v.s() == null) {
            throw new BadAttribute(name, "not a string", "set it to " + what + " (a string), or remove it");
        }
        return v.s();
    }

    private static Set<String> optionalStringSet(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        if (v == null) {
            return Set.of();
        }
        if (!v.hasSs()) {
            throw new BadAttribute(name, "not a string set (SS) of shard ids", "write it as a string set of shard "
                    + "ids, " + orDelete());
        }
        return new HashSet<>(v.ss());
    }

    /** An attribute that makes the row unreadable; turned into a {@link RowProblem} by {@link #read}. */
    private static final class BadAttribute extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String attribute;
        final String problem;
        final String repair;

        BadAttribute(String attribute, String problem, String repair) {
            super(attribute + ": " + problem, null, false, false);
            this.attribute = attribute;
            this.problem = problem;
            this.repair = repair;
        }
    }
}
