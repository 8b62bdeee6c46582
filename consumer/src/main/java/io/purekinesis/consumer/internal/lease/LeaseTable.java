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
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
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
 * <p>Once {@link #bindStream bound} to a stream, new rows name it and assignments and checkpoints add it to rows
 * that lack it; a row naming another stream is reported by {@link #scan()} and not handed out as a lease.
 */
public final class LeaseTable {

    private static final Logger log = LoggerFactory.getLogger(LeaseTable.class);
    private static final AttributeValue ONE = n(1);

    private final DynamoDbAsyncClient dynamo;
    private final String tableName;
    private final String resource;
    private final BooleanSupplier indexStatus;
    private volatile StreamIdentity stream;
    /** Multi-stream mode: the streams read now; rows of others are neither leases nor problems. */
    private volatile TrackedStreams streams;
    private volatile boolean ownerIndexActive;
    private volatile boolean toldIndexMissing;

    /** A table whose owner index is used once DescribeTable shows it ACTIVE. */
    public LeaseTable(DynamoDbAsyncClient dynamo, String tableName) {
        this(dynamo, tableName, new LeaseTableSetup(dynamo, tableName, null, null));
    }

    private LeaseTable(DynamoDbAsyncClient dynamo, String tableName, LeaseTableSetup setup) {
        this(dynamo, tableName, () -> setup.describeLeaseTable().map(LeaseTableSetup::isOwnerIndexActive)
                .orElse(false));
    }

    /** @param indexStatus whether the owner index is ACTIVE now (asked until it is); tests pass their own */
    LeaseTable(DynamoDbAsyncClient dynamo, String tableName, BooleanSupplier indexStatus) {
        this.dynamo = dynamo;
        this.tableName = tableName;
        this.resource = "lease table " + tableName;
        this.indexStatus = indexStatus;
    }

    public String tableName() {
        return tableName;
    }

    /** From now on rows are written naming {@code stream}, and rows naming another stream are not used. */
    public void bindStream(StreamIdentity stream) {
        this.stream = stream;
    }

    /**
     * Multi-stream mode: keys are {@code account:stream:creationEpoch:shardId}; scans hand out the leases of the
     * streams read now, and list the rows of the others apart ({@link LeaseScan#untrackedKeys()},
     * {@link LeaseScan#formerKeys()}); lookups refuse rows of a former stream (deleted and created again).
     */
    public void bindStreams(TrackedStreams streams) {
        this.streams = streams;
    }

    private boolean multiStream() {
        return streams != null;
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
        return scan(true);
    }

    /** The whole table as {@link #scan()}; eventually consistent (half the read cost) unless {@code consistent}. */
    public CompletableFuture<LeaseScan> scan(boolean consistent) {
        List<Lease> leases = new ArrayList<>();
        List<RowProblem> problems = new ArrayList<>();
        List<String> untracked = new ArrayList<>();
        List<String> former = new ArrayList<>();
        return scanPage(null, leases, problems, untracked, former, consistent)
                .thenApply(v -> new LeaseScan(leases, problems, untracked, former));
    }

    /** The usable shard leases of {@link #scan()}. */
    public CompletableFuture<List<Lease>> scanAll() {
        return scan().thenApply(LeaseScan::leases);
    }

    private CompletableFuture<Void> scanPage(Map<String, AttributeValue> startKey, List<Lease> leases,
            List<RowProblem> problems, List<String> untracked, List<String> former, boolean consistent) {
        TrackedStreams tracked = streams;
        ScanRequest.Builder req = ScanRequest.builder().tableName(tableName).consistentRead(consistent);
        if (startKey != null) {
            req.exclusiveStartKey(startKey);
        }
        return AwsCalls.call("dynamodb:Scan", resource, req.build(), dynamo::scan).thenCompose((ScanResponse r) -> {
            for (Map<String, AttributeValue> item : r.items()) {
                LeaseRow row = LeaseAttributes.read(item, tracked != null);
                if (row instanceof LeaseRow.Unreadable u) {
                    problems.add(u.problem());
                } else if (tracked != null && row instanceof LeaseRow.Readable readable) {
                    String key = readable.lease().leaseKey();
                    switch (tracked.relationOf(StreamKey.ofLeaseKey(key))) {
                        case TRACKED -> leases.add(readable.lease());
                        case FORMER -> former.add(key);
                        case UNTRACKED -> untracked.add(key);
                    }
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
                return scanPage(r.lastEvaluatedKey(), leases, problems, untracked, former, consistent);
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
                            || !(LeaseAttributes.read(r.item(), multiStream()) instanceof LeaseRow.Readable readable)
                            || !isOurs(readable)) {
                        return Optional.<Lease>empty();
                    }
                    return Optional.of(readable.lease());
                });
    }

    /**
     * Whether the lease is at SHARD_END or gone (a deleted lease was finished: it gates nothing), read
     * consistently; false for a row that exists but cannot be used, since nobody can tell where it is.
     */
    public CompletableFuture<Boolean> isCompletedOrGone(String leaseKey) {
        return AwsCalls.call("dynamodb:GetItem", resource, GetItemRequest.builder().tableName(tableName)
                .key(LeaseAttributes.key(leaseKey)).consistentRead(true).build(), dynamo::getItem)
                .thenApply(r -> {
                    if (!r.hasItem() || r.item().isEmpty()) {
                        return true;
                    }
                    return LeaseAttributes.read(r.item(), multiStream()) instanceof LeaseRow.Readable readable
                            && isOurs(readable) && readable.lease().isCompleted();
                });
    }

    /**
     * Single-stream: the row names no other stream. Multi-stream: the row is not a former stream's (a stream no
     * longer read is still ours to hand back: its processor ends gracefully).
     */
    private boolean isOurs(LeaseRow.Readable readable) {
        TrackedStreams tracked = streams;
        if (tracked == null) {
            return StreamCheck.otherStream(readable, stream) == null;
        }
        return tracked.relationOf(StreamKey.ofLeaseKey(readable.lease().leaseKey()))
                != TrackedStreams.Relation.FORMER;
    }

    /** Writes a new lease (naming the bound stream) unless one exists; false when it already did. */
    public CompletableFuture<Boolean> createIfAbsent(Lease lease) {
        return conditional(AwsCalls.call("dynamodb:PutItem", resource, PutItemRequest.builder().tableName(tableName)
                .item(LeaseAttributes.toItem(lease, stream))
                .conditionExpression("attribute_not_exists(#k)")
                .expressionAttributeNames(Map.of("#k", LEASE_KEY)).build(), dynamo::putItem).thenApply(r -> true),
                false);
    }

    /**
     * Gives a lease to {@code to} (KCL 3.x's assign): the counter is bumped (so KCL workers, which judge liveness
     * by it, see the change), a pending handoff is kept (its previous owner may still finish it, and the new owner
     * waits for that or for the handoff timeout). Conditional on the owner still being {@code from} (null: unowned).
     * Names the bound stream on a row that names none; false when someone else changed the owner first.
     */
    public CompletableFuture<Boolean> assign(String leaseKey, String from, String to) {
        Map<String, String> names = new HashMap<>(Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER,
                "#sw", OWNER_SWITCHES_SINCE_CHECKPOINT));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":to", s(to), ":one", ONE));
        String condition;
        if (from == null) {
            condition = "attribute_not_exists(#o)";
        } else {
            condition = "#o = :from";
            values.put(":from", s(from));
        }
        return write(leaseKey, "SET #o = :to" + stampStream(names, values) + " ADD #c :one, #sw :one", condition,
                names, values);
    }

    /**
     * Starts a graceful handoff (KCL 3.x's format): {@code to} becomes the owner and {@code from} the checkpoint
     * owner, who may still checkpoint until it lets go ({@link #finishHandoff}). The counter is not bumped, as in
     * KCL. Only a live, unfinished lease of {@code from} with no handoff pending moves; false otherwise.
     */
    public CompletableFuture<Boolean> startHandoff(String leaseKey, String from, String to) {
        return write(leaseKey, "SET #o = :to, #co = :from",
                "#o = :from AND attribute_not_exists(#co) AND #cp <> :end",
                Map.of("#o", LEASE_OWNER, "#co", CHECKPOINT_OWNER, "#cp", CHECKPOINT),
                Map.of(":to", s(to), ":from", s(from), ":end",
                        s(ExtendedSequenceNumber.SHARD_END.sequenceNumber())));
    }

    /** The previous owner finished its handoff: it stops being checkpoint owner, and the counter moves. */
    public CompletableFuture<Boolean> finishHandoff(String leaseKey, String workerId) {
        return write(leaseKey, "REMOVE #co ADD #c :one", "#co = :me", Map.of("#co", CHECKPOINT_OWNER,
                "#c", LEASE_COUNTER), Map.of(":me", s(workerId), ":one", ONE));
    }

    /**
     * Ends a handoff from this worker of a lease it does not hold (it had not looked it up before a peer pulled it):
     * as {@link #finishHandoff}, answering with the new owner to tell, or null when the handoff is over already.
     */
    public CompletableFuture<String> finishHandoffNotHeld(String leaseKey, String workerId) {
        return conditional(send(leaseKey, "REMOVE #co ADD #c :one", "#co = :me", Map.of("#co", CHECKPOINT_OWNER,
                "#c", LEASE_COUNTER), Map.of(":me", s(workerId), ":one", ONE), ReturnValue.ALL_NEW)
                .thenApply(r -> r.hasAttributes() && r.attributes().containsKey(LEASE_OWNER)
                        ? r.attributes().get(LEASE_OWNER).s() : null), null);
    }

    /**
     * The new owner gave up waiting for {@code previous} (timeout, or it died): it ends the handoff itself. False
     * when the lease is no longer this worker's, or the handoff is over already.
     */
    public CompletableFuture<Boolean> forceHandoff(String leaseKey, String workerId, String previous) {
        return write(leaseKey, "REMOVE #co ADD #c :one", "#o = :me AND #co = :prev",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER, "#co", CHECKPOINT_OWNER),
                Map.of(":one", ONE, ":me", s(workerId), ":prev", s(previous)));
    }

    /**
     * Gives a held lease up, unowned (the last worker of a fleet shutting down: KCL, or the next worker to start,
     * takes it); false when it was no longer ours. A pending handoff to us stays pending (checkpointOwner is kept)
     * so the previous owner can still finish it.
     */
    public CompletableFuture<Boolean> release(String leaseKey, String workerId) {
        return write(leaseKey, "SET #c = #c + :one REMOVE #o", "#o = :me",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER),
                Map.of(":one", ONE, ":me", s(workerId)));
    }

    /** The bound stream names, on a row that names none, as SET clauses with a leading comma; or "". */
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
     * The keys of the leases {@code owner} holds, from KCL 3.x's owner index (keys only, eventually consistent: a
     * change made a moment ago may be missing). Until the index is ACTIVE, an eventually consistent Scan filtered
     * by owner instead.
     */
    public CompletableFuture<List<String>> ownedKeys(String owner) {
        List<String> keys = new ArrayList<>();
        if (!ownerIndexActive) {
            ownerIndexActive = indexStatus.getAsBoolean();
            if (!ownerIndexActive && !toldIndexMissing) {
                toldIndexMissing = true;
                log.info("Lease table {}: index {} is not ACTIVE yet; workers scan for their leases until it is",
                        tableName, LeaseTableSetup.OWNER_INDEX);
            }
        }
        return ownedPage(owner, null, keys, ownerIndexActive).thenApply(v -> keys);
    }

    private CompletableFuture<Void> ownedPage(String owner, Map<String, AttributeValue> start, List<String> keys,
            boolean index) {
        CompletableFuture<? extends software.amazon.awssdk.services.dynamodb.model.DynamoDbResponse> call;
        if (index) {
            QueryRequest.Builder q = QueryRequest.builder().tableName(tableName).indexName(LeaseTableSetup.OWNER_INDEX)
                    .keyConditionExpression("#o = :o").expressionAttributeNames(Map.of("#o", LEASE_OWNER))
                    .expressionAttributeValues(Map.of(":o", s(owner)));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            call = AwsCalls.call("dynamodb:Query", resource, q.build(), dynamo::query);
        } else {
            ScanRequest.Builder q = ScanRequest.builder().tableName(tableName).consistentRead(false)
                    .filterExpression("#o = :o").projectionExpression("#k")
                    .expressionAttributeNames(Map.of("#o", LEASE_OWNER, "#k", LEASE_KEY))
                    .expressionAttributeValues(Map.of(":o", s(owner)));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            call = AwsCalls.call("dynamodb:Scan", resource, q.build(), dynamo::scan);
        }
        return call.thenCompose(r -> {
            List<Map<String, AttributeValue>> items;
            Map<String, AttributeValue> last;
            if (r instanceof QueryResponse qr) {
                items = qr.items();
                last = qr.hasLastEvaluatedKey() ? qr.lastEvaluatedKey() : Map.of();
            } else {
                ScanResponse sr = (ScanResponse) r;
                items = sr.items();
                last = sr.hasLastEvaluatedKey() ? sr.lastEvaluatedKey() : Map.of();
            }
            for (Map<String, AttributeValue> item : items) {
                AttributeValue k = item.get(LEASE_KEY);
                if (k != null && LeaseAttributes.isLeaseKey(k.s(), multiStream())) {
                    keys.add(k.s());
                }
            }
            if (!last.isEmpty()) {
                return ownedPage(owner, last, keys, index);
            }
            return CompletableFuture.completedFuture(null);
        });
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
