package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributes.n;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.s;

import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Failures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The fleet's worker table: one small row per worker (hash key {@link #FLEET} = the application, range key
 * {@link #WORKER_ID}), written by the worker's heartbeat and read by the fleet with one Query per monitor slot.
 * Liveness lives here, per worker, instead of in a counter renewed on every lease. Conditional writes that lose come
 * back as {@code false}; other failures complete the future exceptionally.
 */
public final class WorkerTable implements Workers {

    static final String FLEET = "fleet";
    static final String WORKER_ID = "workerId";
    static final String BEAT_AT = "beatAt";
    static final String BEATS = "beats";
    static final String LEASE_COUNT = "leaseCount";
    static final String ASSIGN_VERSION = "assignVersion";
    static final String STATE = "state";
    static final String EVICTED_AT = "evictedAt";
    static final String HANDOFFS = "handoffs";
    static final String ACTIVE = "ACTIVE";
    static final String LEAVING = "LEAVING";

    private final DynamoDbAsyncClient dynamo;
    private final String tableName;
    private final String fleet;
    private final String resource;

    public WorkerTable(DynamoDbAsyncClient dynamo, String tableName, String fleet) {
        this.dynamo = dynamo;
        this.tableName = tableName;
        this.fleet = fleet;
        this.resource = "worker table " + tableName;
    }

    public String tableName() {
        return tableName;
    }

    private Map<String, AttributeValue> key(String workerId) {
        return Map.of(FLEET, s(fleet), WORKER_ID, s(workerId));
    }

    @Override
    public CompletableFuture<WorkerRow> heartbeat(String workerId, long wallMillis, int leaseCount, boolean leaving,
            Set<String> handoffsDone) {
        Map<String, String> names = new HashMap<>(Map.of("#at", BEAT_AT, "#lc", LEASE_COUNT, "#st", STATE, "#av",
                ASSIGN_VERSION, "#b", BEATS));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":at", n(wallMillis), ":lc", n(leaseCount),
                ":st", s(leaving ? LEAVING : ACTIVE), ":zero", n(0), ":one", n(1)));
        String update = "SET #at = :at, #lc = :lc, #st = :st, #av = if_not_exists(#av, :zero) ADD #b :one";
        if (!handoffsDone.isEmpty()) {
            // in the heartbeat itself: dealing with a handoff costs no write of its own
            update += " DELETE #h :done";
            names.put("#h", HANDOFFS);
            values.put(":done", AttributeValue.builder().ss(handoffsDone).build());
        }
        return AwsCalls.call("dynamodb:UpdateItem", resource, UpdateItemRequest.builder().tableName(tableName)
                .key(key(workerId)).updateExpression(update).expressionAttributeNames(names)
                .expressionAttributeValues(values).returnValues(ReturnValue.ALL_NEW).build(), dynamo::updateItem)
                .thenApply(r -> read(r.attributes()));
    }

    @Override
    public CompletableFuture<Boolean> rejoin(String workerId, long evictedAt) {
        return conditional(update(workerId, "REMOVE #e", "#e = :e", Map.of("#e", EVICTED_AT),
                Map.of(":e", n(evictedAt))));
    }

    @Override
    public CompletableFuture<List<WorkerRow>> all() {
        List<WorkerRow> rows = new ArrayList<>();
        return queryPage(null, rows).thenApply(v -> rows);
    }

    private CompletableFuture<Void> queryPage(Map<String, AttributeValue> start, List<WorkerRow> rows) {
        QueryRequest.Builder req = QueryRequest.builder().tableName(tableName).consistentRead(false)
                .keyConditionExpression("#f = :f").expressionAttributeNames(Map.of("#f", FLEET))
                .expressionAttributeValues(Map.of(":f", s(fleet)));
        if (start != null) {
            req.exclusiveStartKey(start);
        }
        return AwsCalls.call("dynamodb:Query", resource, req.build(), dynamo::query).thenCompose((QueryResponse r) -> {
            r.items().forEach(item -> rows.add(read(item)));
            if (r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()) {
                return queryPage(r.lastEvaluatedKey(), rows);
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    @Override
    public CompletableFuture<Optional<WorkerRow>> get(String workerId) {
        return AwsCalls.call("dynamodb:GetItem", resource, GetItemRequest.builder().tableName(tableName)
                .key(key(workerId)).consistentRead(true).build(), dynamo::getItem)
                .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? Optional.of(read(r.item()))
                        : Optional.<WorkerRow>empty());
    }

    @Override
    public CompletableFuture<Boolean> evict(String workerId, long seenBeats, long wallMillis) {
        return conditional(update(workerId, "SET #e = :now", "#b = :seen AND attribute_not_exists(#e)",
                Map.of("#e", EVICTED_AT, "#b", BEATS), Map.of(":now", n(wallMillis), ":seen", n(seenBeats))));
    }

    @Override
    public CompletableFuture<Boolean> assigned(String workerId, int leaseDelta) {
        return conditional(update(workerId, "ADD #av :one, #lc :d", "attribute_exists(#w)",
                Map.of("#av", ASSIGN_VERSION, "#lc", LEASE_COUNT, "#w", WORKER_ID),
                Map.of(":one", n(1), ":d", AttributeValue.builder().n(Integer.toString(leaseDelta)).build())));
    }

    @Override
    public CompletableFuture<Boolean> handedOff(String workerId, Set<String> leaseKeys) {
        return conditional(update(workerId, "ADD #av :one, #lc :d, #h :keys", "attribute_exists(#w)",
                Map.of("#av", ASSIGN_VERSION, "#lc", LEASE_COUNT, "#w", WORKER_ID, "#h", HANDOFFS),
                Map.of(":one", n(1), ":d", AttributeValue.builder().n(Integer.toString(-leaseKeys.size())).build(),
                        ":keys", AttributeValue.builder().ss(leaseKeys).build())));
    }

    @Override
    public CompletableFuture<Boolean> drained(String workerId, long evictedAt) {
        return conditional(update(workerId, "SET #lc = :zero", "#e = :e", Map.of("#lc", LEASE_COUNT, "#e",
                EVICTED_AT), Map.of(":zero", n(0), ":e", n(evictedAt))));
    }

    @Override
    public CompletableFuture<Boolean> delete(String workerId) {
        return AwsCalls.call("dynamodb:DeleteItem", resource, DeleteItemRequest.builder().tableName(tableName)
                .key(key(workerId)).build(), dynamo::deleteItem).thenApply(r -> true);
    }

    @Override
    public CompletableFuture<Boolean> deleteEvicted(String workerId, long evictedAt) {
        return conditional(AwsCalls.call("dynamodb:DeleteItem", resource, DeleteItemRequest.builder()
                .tableName(tableName).key(key(workerId)).conditionExpression("#e = :e")
                .expressionAttributeNames(Map.of("#e", EVICTED_AT))
                .expressionAttributeValues(Map.of(":e", n(evictedAt))).build(), dynamo::deleteItem)
                .thenApply(r -> true));
    }

    private CompletableFuture<Boolean> update(String workerId, String updateExpression, String condition,
            Map<String, String> names, Map<String, AttributeValue> values) {
        return AwsCalls.call("dynamodb:UpdateItem", resource, UpdateItemRequest.builder().tableName(tableName)
                .key(key(workerId)).updateExpression(updateExpression).conditionExpression(condition)
                .expressionAttributeNames(new HashMap<>(names)).expressionAttributeValues(new HashMap<>(values))
                .build(), dynamo::updateItem).thenApply(r -> true);
    }

    private static WorkerRow read(Map<String, AttributeValue> item) {
        return new WorkerRow(item.get(WORKER_ID).s(), number(item, BEAT_AT), number(item, BEATS),
                (int) number(item, LEASE_COUNT), number(item, ASSIGN_VERSION),
                item.containsKey(STATE) && LEAVING.equals(item.get(STATE).s()),
                item.containsKey(EVICTED_AT) ? number(item, EVICTED_AT) : null,
                item.containsKey(HANDOFFS) && item.get(HANDOFFS).hasSs() ? Set.copyOf(item.get(HANDOFFS).ss())
                        : Set.of());
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

    private static CompletableFuture<Boolean> conditional(CompletableFuture<Boolean> f) {
        return f.handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(v);
            }
            if (Failures.sdkCause(e) instanceof ConditionalCheckFailedException) {
                return CompletableFuture.completedFuture(false);
            }
            return CompletableFuture.<Boolean>failedFuture(Failures.unwrap(e));
        }).thenCompose(x -> x);
    }
}
