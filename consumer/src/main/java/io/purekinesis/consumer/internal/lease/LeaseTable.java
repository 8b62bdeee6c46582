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
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.n;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.s;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.RequestTag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * Every read and write of the lease table. Each change is conditional; a lost race comes back as an empty
 * {@link Optional} or {@code false}, never as an exception. Other failures complete the future exceptionally.
 */
public final class LeaseTable {

    private static final Logger log = LoggerFactory.getLogger(LeaseTable.class);
    private static final Duration TABLE_POLL_INTERVAL = Duration.ofMillis(100);
    private static final AttributeValue ONE = n(1);

    private final DynamoDbAsyncClient dynamo;
    private final String tableName;

    public LeaseTable(DynamoDbAsyncClient dynamo, String tableName) {
        this.dynamo = dynamo;
        this.tableName = tableName;
    }

    public String tableName() {
        return tableName;
    }

    /** Creates the table (PAY_PER_REQUEST, hash key leaseKey) if missing and waits until it is ACTIVE. */
    public void ensureTable(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean created = false;
        while (true) {
            Optional<TableStatus> status = describeStatus();
            if (status.isEmpty() && !created) {
                try {
                    dynamo.createTable(RequestTag.tag(CreateTableRequest.builder()).tableName(tableName)
                            .keySchema(KeySchemaElement.builder().attributeName(LEASE_KEY).keyType(KeyType.HASH)
                                    .build())
                            .attributeDefinitions(AttributeDefinition.builder().attributeName(LEASE_KEY)
                                    .attributeType(ScalarAttributeType.S).build())
                            .billingMode(BillingMode.PAY_PER_REQUEST).build()).join();
                    log.info("Created lease table {}", tableName);
                } catch (CompletionException e) {
                    if (!(e.getCause() instanceof ResourceInUseException)) {
                        throw e;
                    }
                }
                created = true;
            } else if (status.isPresent() && status.get() == TableStatus.ACTIVE) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("lease table " + tableName + " not ACTIVE after " + timeout
                        + " (status " + status.map(Object::toString).orElse("missing") + ")");
            }
            Thread.sleep(TABLE_POLL_INTERVAL.toMillis());
        }
    }

    private Optional<TableStatus> describeStatus() {
        try {
            DescribeTableResponse r = dynamo.describeTable(RequestTag.tag(DescribeTableRequest.builder())
                    .tableName(tableName).build()).join();
            return Optional.of(r.table().tableStatus());
        } catch (CompletionException e) {
            if (e.getCause() instanceof ResourceNotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** All shard leases, read consistently; rows of other kinds are skipped. */
    public CompletableFuture<List<Lease>> scanAll() {
        List<Lease> out = new ArrayList<>();
        return scanPage(null, out).thenApply(v -> out);
    }

    private CompletableFuture<Void> scanPage(Map<String, AttributeValue> startKey, List<Lease> out) {
        ScanRequest.Builder req = RequestTag.tag(ScanRequest.builder()).tableName(tableName).consistentRead(true);
        if (startKey != null) {
            req.exclusiveStartKey(startKey);
        }
        return dynamo.scan(req.build()).thenCompose((ScanResponse r) -> {
            for (Map<String, AttributeValue> item : r.items()) {
                LeaseAttributes.fromItem(item).ifPresent(out::add);
            }
            if (r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()) {
                return scanPage(r.lastEvaluatedKey(), out);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Consistent read of one lease; empty when absent or not a shard lease. */
    public CompletableFuture<Optional<Lease>> get(String leaseKey) {
        return dynamo.getItem(RequestTag.tag(GetItemRequest.builder()).tableName(tableName)
                .key(LeaseAttributes.key(leaseKey))
                .consistentRead(true).build())
                .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? LeaseAttributes.fromItem(r.item())
                        : Optional.empty());
    }

    /** Writes a new lease unless one exists; false when it already did. */
    public CompletableFuture<Boolean> createIfAbsent(Lease lease) {
        return conditional(dynamo.putItem(RequestTag.tag(PutItemRequest.builder()).tableName(tableName)
                .item(LeaseAttributes.toItem(lease))
                .conditionExpression("attribute_not_exists(#k)")
                .expressionAttributeNames(Map.of("#k", LEASE_KEY)).build()).thenApply(r -> true), false);
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
     * for the failover time) before processing.
     */
    public CompletableFuture<Optional<Lease>> take(Lease seen, String workerId) {
        Map<String, String> names = new HashMap<>(Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":c", n(seen.leaseCounter()),
                ":next", n(seen.leaseCounter() + 1), ":me", s(workerId)));
        String updateExpr = "SET #o = :me, #c = :next";
        if (seen.leaseOwner() != null && !seen.leaseOwner().equals(workerId)) {
            names.put("#sw", OWNER_SWITCHES_SINCE_CHECKPOINT);
            values.put(":one", ONE);
            updateExpr += " ADD #sw :one";
        }
        return update(seen.leaseKey(), updateExpr, "#c = :c", names, values);
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
        return update(leaseKey, "REMOVE #co", "#co = :me", Map.of("#co", CHECKPOINT_OWNER),
                Map.of(":me", s(workerId))).thenApply(Optional::isPresent);
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
        return update(leaseKey, "SET #c = #c + :one REMOVE #o", "#o = :me",
                Map.of("#c", LEASE_COUNTER, "#o", LEASE_OWNER),
                Map.of(":one", ONE, ":me", s(workerId))).thenApply(Optional::isPresent);
    }

    /**
     * Writes a checkpoint if this worker owns the lease (and no handoff is pending) or is the checkpoint owner of
     * a pending handoff; false otherwise. Resets ownerSwitchesSinceCheckpoint and clears KCL's pending checkpoint.
     * The counter is not bumped, so renewals never race with checkpoints.
     */
    public CompletableFuture<Boolean> checkpoint(String leaseKey, String workerId, ExtendedSequenceNumber position,
            Set<String> childShardIds) {
        Map<String, String> names = new HashMap<>(Map.of("#o", LEASE_OWNER, "#co", CHECKPOINT_OWNER,
                "#cp", CHECKPOINT, "#cps", CHECKPOINT_SUB_SEQUENCE_NUMBER, "#sw", OWNER_SWITCHES_SINCE_CHECKPOINT,
                "#p", PENDING_CHECKPOINT, "#ps", PENDING_CHECKPOINT_SUB_SEQUENCE_NUMBER,
                "#pst", PENDING_CHECKPOINT_STATE));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":me", s(workerId),
                ":cp", s(position.sequenceNumber()), ":cps", n(position.subSequenceNumber()), ":zero", n(0)));
        String updateExpr = "SET #cp = :cp, #cps = :cps, #sw = :zero";
        if (!childShardIds.isEmpty()) {
            names.put("#ch", CHILD_SHARD_IDS);
            values.put(":ch", AttributeValue.builder().ss(childShardIds).build());
            updateExpr += " ADD #ch :ch";
        }
        updateExpr += " REMOVE #p, #ps, #pst";
        return update(leaseKey, updateExpr, "(#o = :me AND attribute_not_exists(#co)) OR #co = :me", names,
                values).thenApply(Optional::isPresent);
    }

    /**
     * Deletes a lease whose shard was processed to its end; false when it is gone already or no longer at
     * SHARD_END (nothing else may be deleted: a lease is all that remembers a shard's progress).
     */
    public CompletableFuture<Boolean> deleteCompleted(String leaseKey) {
        return conditional(dynamo.deleteItem(RequestTag.tag(DeleteItemRequest.builder()).tableName(tableName)
                .key(LeaseAttributes.key(leaseKey))
                .conditionExpression("#cp = :end")
                .expressionAttributeNames(Map.of("#cp", CHECKPOINT))
                .expressionAttributeValues(Map.of(":end", s(ExtendedSequenceNumber.SHARD_END.sequenceNumber())))
                .build()).thenApply(r -> true), false);
    }

    private CompletableFuture<Optional<Lease>> update(String leaseKey, String updateExpression,
            String conditionExpression, Map<String, String> names, Map<String, AttributeValue> values) {
        Map<String, String> allNames = new HashMap<>(names);
        allNames.put("#key", LEASE_KEY);
        CompletableFuture<Optional<Lease>> f = dynamo.updateItem(RequestTag.tag(UpdateItemRequest.builder())
                .tableName(tableName)
                .key(LeaseAttributes.key(leaseKey))
                .updateExpression(updateExpression)
                .conditionExpression("attribute_exists(#key) AND (" + conditionExpression + ")")
                .expressionAttributeNames(allNames)
                .expressionAttributeValues(values)
                .returnValues(ReturnValue.ALL_NEW).build())
                .thenApply((UpdateItemResponse r) -> LeaseAttributes.fromItem(r.attributes()));
        return conditional(f, Optional.empty());
    }

    /** Maps a failed condition to {@code onConditionFailed}; other failures stay failures. */
    private static <T> CompletableFuture<T> conditional(CompletableFuture<T> f, T onConditionFailed) {
        return f.handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(v);
            }
            Throwable cause = unwrap(e);
            if (cause instanceof ConditionalCheckFailedException) {
                return CompletableFuture.completedFuture(onConditionFailed);
            }
            return CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(x -> x);
    }

    public static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
