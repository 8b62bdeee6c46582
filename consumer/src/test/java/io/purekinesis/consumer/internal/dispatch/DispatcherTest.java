package io.purekinesis.consumer.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.lease.FakeWorkers;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * What the dispatcher does with a lease the coordinator finds assigned to its worker, as the consumer's lifecycle
 * moves on. Each test runs one lookup of worker A's leases (the owner index and the rows are a mocked DynamoDB); the
 * processor threads are a manual scheduler the test never runs: a shard consumer started is a task queued there.
 */
class DispatcherTest {

    private static final String SHARD0 = "shardId-000000000000";
    private static final String SHARD1 = "shardId-000000000001";

    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final ManualScheduler leaseThreads = new ManualScheduler();
    private final ManualScheduler processorThreads = new ManualScheduler();
    private final List<String> updates = new CopyOnWriteArrayList<>();
    private final Map<String, Map<String, AttributeValue>> rows = new HashMap<>();

    private static AttributeValue s(String v) {
        return AttributeValue.builder().s(v).build();
    }

    private static AttributeValue n(long v) {
        return AttributeValue.builder().n(Long.toString(v)).build();
    }

    private void leaseOfA(String key) {
        rows.put(key, new HashMap<>(Map.of("leaseKey", s(key), "leaseCounter", n(1), "checkpoint", s("TRIM_HORIZON"),
                "checkpointSubSequenceNumber", n(0), "leaseOwner", s("A"))));
    }

    /** A table whose owner index shows A's leases, and that records each update's expression. */
    private Dispatcher dispatcher() {
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenReturn(CompletableFuture.completedFuture(
                DescribeTableResponse.builder().table(TableDescription.builder().globalSecondaryIndexes(
                        GlobalSecondaryIndexDescription.builder().indexName("LeaseOwnerToLeaseKeyIndex")
                                .indexStatus(IndexStatus.ACTIVE).build()).build()).build()));
        when(dynamo.query(any(QueryRequest.class))).thenAnswer(inv -> CompletableFuture.completedFuture(
                QueryResponse.builder().items(rows.keySet().stream().map(k -> Map.of("leaseKey", s(k),
                        "leaseOwner", s("A"))).toList()).build()));
        when(dynamo.getItem(any(GetItemRequest.class))).thenAnswer(inv -> {
            GetItemRequest r = inv.getArgument(0);
            return CompletableFuture.completedFuture(GetItemResponse.builder().item(rows.get(
                    r.key().get("leaseKey").s())).build());
        });
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            UpdateItemRequest r = inv.getArgument(0);
            updates.add(r.key().get("leaseKey").s() + ": " + r.updateExpression());
            return CompletableFuture.completedFuture(UpdateItemResponse.builder().build());
        });
        ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("s").workerId("A")
                .failoverTime(Duration.ofSeconds(3)).build();
        ConsumerContext context = new ConsumerContext(config, leaseThreads, new Random(1), leaseThreads,
                leaseThreads, processorThreads);
        LeaseTable table = new LeaseTable(dynamo, "app");
        return new Dispatcher(context, () -> {
            throw new AssertionError("no processor runs: the processor threads are never run");
        }, kinesis, table, new FakeWorkers(), new ShardSyncer(kinesis, "s", table, config.initialPosition(),
                Duration.ZERO, leaseThreads));
    }

    @Test
    void aLeaseFoundWhileRunningGetsAShardConsumer() {
        leaseOfA(SHARD0);
        Dispatcher d = dispatcher();
        TestAccess.lookUp(d.coordinator());
        assertEquals(Set.of(SHARD0), d.heldLeaseKeys());
        assertEquals(Set.of(SHARD0), d.activeShards());
        assertEquals(1, processorThreads.pending(), "the shard consumer's processor thread");
        assertEquals(List.of(), updates, "a lease assigned to the worker is processed without a write");
    }

    @Test
    void aLeaseFoundWhileShuttingDownIsNotStartedButKeptForTheHandOver() {
        leaseOfA(SHARD0);
        Dispatcher d = dispatcher();
        d.releaseNewLeases();
        TestAccess.lookUp(d.coordinator()); // a lookup that was already running when the shutdown began
        assertTrue(d.activeShards().isEmpty());
        assertEquals(Set.of(SHARD0), d.heldLeaseKeys(), "held: leaving the fleet hands it to a live worker");
        assertEquals(0, processorThreads.pending());
        assertEquals(List.of(), updates);
    }

    @Test
    void aLeaseFoundAfterAHaltIsLeftAlone() {
        leaseOfA(SHARD0);
        leaseOfA(SHARD1);
        Dispatcher d = dispatcher();
        d.ignoreNewLeases();
        TestAccess.lookUp(d.coordinator());
        assertTrue(d.activeShards().isEmpty());
        assertEquals(0, processorThreads.pending());
        assertEquals(List.of(), updates, "nothing written: it moves when the worker is declared dead");
        assertTrue(new ArrayList<>(updates).isEmpty());
    }
}
