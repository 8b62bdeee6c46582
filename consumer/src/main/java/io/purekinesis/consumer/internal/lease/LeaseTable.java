package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributes.CHECKPOINT;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.CHECKPOINT_OWNER;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.CHECKPOINT_SUB_SEQUENCE_NUMBER;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.CHILD_SHARD_IDS;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.LEASE_COUNTER;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.LEASE_KEY;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.LEASE_OWNER;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.OWNER_SWITCHES_SINCE_CHECKPOINT;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.PENDING_CHECKPOINT;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.PENDING_CHECKPOINT_STATE;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.PENDING_CHECKPOINT_SUB_SEQUENCE_NUMBER;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.STREAM_ARN;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.STREAM_CREATED;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.n;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.s;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Failures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * Every read and write of the lease table's rows ({@link LeaseTableSetup} creates the table). Each change is
 * conditional; a lost race comes back as an empty {@link Optional} or {@code false}, never as an exception. Other
 * failures complete the future exceptionally, with an {@link io.purekinesis.consumer.internal.AwsCallException}
 * naming the operation and the table.
 *
 * <p>Once {@link #bindStream bound} to a stream, new rows name it and takes and checkpoints add it to rows that
 * lack it; a row naming another stream is reported by {@link #scan()} and not handed out as a lease.
 */
public final class LeaseTable {

    private static final Logger log = LoggerFactory.getLogger(LeaseTable.class);
    private static final AttributeValue ONE = n(1);

    private final DynamoDbAsyncClient dynamo;
    private final String tableName;
    private final String resource;
    private volatile StreamIdentity stream;

    public LeaseTable(DynamoDbAsyncClient dynamo, String tableName) {
        this.dynamo = dynamo;
        this.tableName = tableName;
        this.resource = "lease table " + tableName;
    }

    public String tableName() {
        return tableName;
    }

    /** From now on rows are written naming {@code stream}, and rows naming another stream are not used. */
    public void bindStream(StreamIdentity stream) {
        this.stream = stream;
    }

    /** The stream this table is bound to, or null before {@link #bindStream}. */
    public StreamIdentity stream() {
        return stream;
    }

    /**
     * The whole table, read consistently: the shard leases this consumer may use, and the rows it cannot use (each
     * with its problem). Rows of KCL's other entity types are in neither.
     */
    public CompletableFuture<LeaseScan> scan() {
        List<Lease> leases = new ArrayList<>();
        List<RowProblem> problems = new ArrayList<>();
        return scanPage(null, leases, problems).thenApply(v -> new LeaseScan(leases, problems));
    }

    /** The usable shard leases of {@link #scan()}. */
    public CompletableFuture<List<Lease>> scanAll() {
        return scan().thenApply(LeaseScan::leases);
    }

    private CompletableFuture<Void> scanPage(Map<String, AttributeValue> startKey, List<Lease> leases,
            List<RowProblem> problems) {
        ScanRequest.Builder req = ScanRequest.builder().tableName(tableName).consistentRead(true);
        if (startKey != null) {
            req.exclusiveStartKey(startKey);
        }
        return AwsCalls.call("dynamodb:Scan", resource, req.build(), dynamo::scan).thenCompose((ScanResponse r) -> {
            for (Map<String, AttributeValue> item : r.items()) {
                LeaseRow row = LeaseAttributes.read(item);
                if (row instanceof LeaseRow.Unreadable u) {
                    problems.add(u.problem());
                } else if (row instanceof LeaseRow.Readable readable) {
                    RowProblem other = StreamCheck.otherStream(readable, stream);
                    if (other != null) {
                        problems.add(other);
                    } else {
                        leases.add(readable.lease());
                    }
                }
            }
            if (r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()) {
                return scanPage(r.lastEvaluatedKey(), leases, problems);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Consistent read of one lease; empty when absent, not a shard lease, unreadable or another stream's. */
    public CompletableFuture<Optional<Lease>> get(String leaseKey) {
        return AwsCalls.call("dynamodb:GetItem", resource, GetItemRequest.builder().tableName(tableName)
                .key(LeaseAttributes.key(leaseKey)).consistentRead(true).build(), dynamo::getItem)
                .thenApply(r -> {
                    if (!r.hasItem() || r.item().isEmpty()
                            || !(LeaseAttributes.read(r.item()) instanceof LeaseRow.Readable readable)
                            || StreamCheck.otherStream(readable, stream) != null) {
                        return Optional.<Lease>empty();
                    }
                    return Optional.of(readable.lease());
                });
    }

    /** Writes a new lease (naming the bound stream) unless one exists; false when it already did. */
    public CompletableFuture<Boolean> createIfAbsent(Lease lease) {
        return conditional(AwsCalls.call("dynamodb:PutItem", resource, PutItemRequest.builder().tableName(tableName)
                .item(LeaseAttributes.toItem(lease, stream))
                .conditionExpression("attribute_not_exists(#k)")
                .expressionAttributeNames(Map.of("#k", LEASE_KEY)).build(), dynamo::putItem).thenApply(r -> true),
                false);
    }

    /** Bumps the counter of a lease this worker holds; empty when the counter or owner changed meanwhile. */
    public CompletableFuture<Optional<Lease>> renew(Lease held) {
        return update(held.leaseKey(),
                "SET #c = #c + :one",
                "#c = :c AND #o = :me",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER),
                Map.of(":one", ONE, ":c", n(held.leaseCounter()), ":me", s(held.leaseOwner())));
    }

    /**
     * Takes an unowned or expired lease as last seen; empty when someone else changed it first. A pending handoff
     * ({@code checkpointOwner}) is kept: the previous owner may still finish it, and the taker waits for that (or
     * for the failover time) before processing. Names the bound stream on a row that names none.
     */
    public CompletableFuture<Optional<Lease>> take(Lease seen, String workerId) {
        Map<String, String> names = new HashMap<>(Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":c", n(seen.leaseCounter()),
                ":next", n(seen.leaseCounter() + 1), ":me", s(workerId)));
        String updateExpr = "SET #o = :me, #c = :next" + stampStream(names, values);
        if (seen.leaseOwner() != null && !seen.leaseOwner().equals(workerId)) {
            names.put("#sw", OWNER_SWITCHES_SINCE_CHECKPOINT);
            values.put(":one", ONE);
            updateExpr += " ADD #sw :one";
        }
        return update(seen.leaseKey(), updateExpr, "#c = :c", names, values);
    }

    /** The SET clauses (with a leading comma) that name the bound stream on a row that names none; or "". */
    private String stampStream(Map<String, String> names, Map<String, AttributeValue> values) {
        StreamIdentity s = stream;
        if (s == null) {
            return "";
        }
        names.put("#sa", STREAM_ARN);
        names.put("#sc", STREAM_CREATED);
        values.put(":sa", s(s.streamArn()));
        values.put(":sc", s(s.created().toString()));
        return ", #sa = if_not_exists(#sa, :sa), #sc = if_not_exists(#sc, :sc)";
    }

    /**
     * Steals a live worker's lease with a graceful handoff (as KCL 3.x): the victim becomes
     * {@code checkpointOwner} and may still checkpoint until it removes itself.
     */
    public CompletableFuture<Optional<Lease>> steal(Lease seen, String workerId) {
        return update(seen.leaseKey(),
                "SET #o = :me, #co = :victim, #c = :next ADD #sw :one",
                "#c = :c AND #o = :victim",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER, "#co", CHECKPOINT_OWNER,
                        "#sw", OWNER_SWITCHES_SINCE_CHECKPOINT),
                Map.of(":c", n(seen.leaseCounter()), ":next", n(seen.leaseCounter() + 1), ":me", s(workerId),
                        ":victim", s(seen.leaseOwner()), ":one", ONE));
    }

    /** The previous owner finished its handoff: it stops being checkpoint owner. */
    public CompletableFuture<Boolean> finishHandoff(String leaseKey, String workerId) {
        return write(leaseKey, "REMOVE #co", "#co = :me", Map.of("#co", CHECKPOINT_OWNER),
                Map.of(":me", s(workerId)));
    }

    /** The new owner gave up waiting for the previous one: it ends the handoff itself. */
    public CompletableFuture<Optional<Lease>> forceHandoff(Lease held) {
        return update(held.leaseKey(), "SET #c = #c + :one REMOVE #co", "#c = :c AND #o = :me",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER, "#co", CHECKPOINT_OWNER),
                Map.of(":one", ONE, ":c", n(held.leaseCounter()), ":me", s(held.leaseOwner())));
    }

    /**
     * Gives a held lease up so another worker can take it at once; false when it was no longer ours. A pending
     * handoff to us stays pending (checkpointOwner is kept) so the previous owner can still finish it.
     */
    public CompletableFuture<Boolean> release(String leaseKey, String workerId) {
        return write(leaseKey, "SET #c = #c + :one REMOVE #o", "#o = :me",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER),
                Map.of(":one", ONE, ":me", s(workerId)));
    }

    /**
     * Writes a checkpoint if this worker owns the lease (and no handoff is pending) or is the checkpoint owner of
     * a pending handoff; false otherwise. Resets ownerSwitchesSinceCheckpoint and clears KCL's pending checkpoint.
     * The counter is not bumped, so renewals never race with checkpoints. Names the bound stream on a row that
     * names none.
     */
    public CompletableFuture<Boolean> checkpoint(String leaseKey, String workerId, ExtendedSequenceNumber position,
            Set<String> childShardIds) {
        Map<String, String> names = new HashMap<>(Map.of("#o", LEASE_OWNER, "#co", CHECKPOINT_OWNER,
                "#cp", CHECKPOINT, "#cps", CHECKPOINT_SUB_SEQUENCE_NUMBER, "#sw", OWNER_SWITCHES_SINCE_CHECKPOINT,
                "#p", PENDING_CHECKPOINT, "#ps", PENDING_CHECKPOINT_SUB_SEQUENCE_NUMBER,
                "#pst", PENDING_CHECKPOINT_STATE));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":me", s(workerId),
                ":cp", s(position.sequenceNumber()), ":cps", n(position.subSequenceNumber()), ":zero", n(0)));
        String updateExpr = "SET #cp = :cp, #cps = :cps, #sw = :zero" + stampStream(names, values);
        if (!childShardIds.isEmpty()) {
            names.put("#ch", CHILD_SHARD_IDS);
            values.put(":ch", AttributeValue.builder().ss(childShardIds).build());
            updateExpr += " ADD #ch :ch";
        }
        updateExpr += " REMOVE #p, #ps, #pst";
        return write(leaseKey, updateExpr, "(#o = :me AND attribute_not_exists(#co)) OR #co = :me", names, values);
    }

    /**
     * Deletes a lease whose shard was processed to its end; false when it is gone already or no longer at
     * SHARD_END (nothing else may be deleted: a lease is all that remembers a shard's progress).
     */
    public CompletableFuture<Boolean> deleteCompleted(String leaseKey) {
        return conditional(AwsCalls.call("dynamodb:DeleteItem", resource, DeleteItemRequest.builder()
                .tableName(tableName)
                .key(LeaseAttributes.key(leaseKey))
                .conditionExpression("#cp = :end")
                .expressionAttributeNames(Map.of("#cp", CHECKPOINT))
                .expressionAttributeValues(Map.of(":end", s(ExtendedSequenceNumber.SHARD_END.sequenceNumber())))
                .build(), dynamo::deleteItem).thenApply(r -> true), false);
    }

    /** A conditional update that returns the row as written; empty when the condition failed. */
    private CompletableFuture<Optional<Lease>> update(String leaseKey, String updateExpression,
            String conditionExpression, Map<String, String> names, Map<String, AttributeValue> values) {
        return conditional(send(leaseKey, updateExpression, conditionExpression, names, values, ReturnValue.ALL_NEW)
                .thenApply((UpdateItemResponse r) -> Optional.of(readWritten(leaseKey, r.attributes()))),
                Optional.empty());
    }

    /** A conditional update whose result is only whether it was applied. */
    private CompletableFuture<Boolean> write(String leaseKey, String updateExpression, String conditionExpression,
            Map<String, String> names, Map<String, AttributeValue> values) {
        return conditional(send(leaseKey, updateExpression, conditionExpression, names, values, ReturnValue.NONE)
                .thenApply(r -> true), false);
    }

    private CompletableFuture<UpdateItemResponse> send(String leaseKey, String updateExpression,
            String conditionExpression, Map<String, String> names, Map<String, AttributeValue> values,
            ReturnValue returnValue) {
        Map<String, String> allNames = new HashMap<>(names);
        allNames.put("#key", LEASE_KEY);
        return AwsCalls.call("dynamodb:UpdateItem", resource, UpdateItemRequest.builder().tableName(tableName)
                .key(LeaseAttributes.key(leaseKey))
                .updateExpression(updateExpression)
                .conditionExpression("attribute_exists(#key) AND (" + conditionExpression + ")")
                .expressionAttributeNames(allNames)
                .expressionAttributeValues(values)
                .returnValues(returnValue).build(), dynamo::updateItem);
    }

    /** The lease in a row this worker just wrote; a row it cannot read (edited meanwhile) fails the write. */
    private Lease readWritten(String leaseKey, Map<String, AttributeValue> item) {
        LeaseRow row = LeaseAttributes.read(item);
        if (row instanceof LeaseRow.Readable readable) {
            return readable.lease();
        }
        String problem = row instanceof LeaseRow.Unreadable u ? u.problem().describe() : "no longer a lease: " + row;
        throw new IllegalStateException("lease table " + tableName + ", lease " + leaseKey + " was written but can "
                + "no longer be read: " + problem);
    }

    /** Maps a failed condition to {@code onConditionFailed}; other failures stay failures. */
    private static <T> CompletableFuture<T> conditional(CompletableFuture<T> f, T onConditionFailed) {
        return f.handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(v);
            }
            if (Failures.sdkCause(e) instanceof ConditionalCheckFailedException) {
                return CompletableFuture.completedFuture(onConditionFailed);
            }
            return CompletableFuture.<T>failedFuture(Failures.unwrap(e));
        }).thenCompose(x -> x);
    }
}
