package io.purekinesis.consumer.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.ManualScheduler;
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
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * What the dispatcher does with a lease the coordinator hands out, as the consumer's lifecycle moves on. The lease
 * threads are a manual scheduler (one scan runs when the test advances it) and the processor threads another one,
 * which the test never runs: a shard consumer started is a task queued there.
 */
class DispatcherTest {

    private static final String SHARD0 = "shardId-000000000000";
    private static final String SHARD1 = "shardId-000000000001";

    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final ManualScheduler leaseThreads = new ManualScheduler();
    private final ManualScheduler processorThreads = new ManualScheduler();
    private final List<String> updates = new CopyOnWriteArrayList<>();
    private final List<Map<String, AttributeValue>> rows = new ArrayList<>();

    private static AttributeValue s(String v) {
        return AttributeValue.builder().s(v).build();
    }

    private static AttributeValue n(long v) {
        return AttributeValue.builder().n(Long.toString(v)).build();
    }

    private static Map<String, AttributeValue> row(String key, String owner, long counter) {
        Map<String, AttributeValue> row = new HashMap<>(Map.of("leaseKey", s(key), "leaseCounter", n(counter),
                "checkpoint", s("TRIM_HORIZON"), "checkpointSubSequenceNumber", n(0)));
        if (owner != null) {
            row.put("leaseOwner", s(owner));
        }
        return row;
    }

    /** A table of unowned leases that grants every take and release, and records each update's expression. */
    private Dispatcher dispatcher() {
        when(dynamo.scan(any(ScanRequest.class))).thenAnswer(inv -> CompletableFuture.completedFuture(
                ScanResponse.builder().items(List.copyOf(rows)).build()));
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            UpdateItemRequest r = inv.getArgument(0);
            updates.add(r.key().get("leaseKey").s() + ": " + r.updateExpression());
            if (r.returnValues() != ReturnValue.ALL_NEW) {
                return CompletableFuture.completedFuture(UpdateItemResponse.builder().build());
            }
            return CompletableFuture.completedFuture(UpdateItemResponse.builder().attributes(row(
                    r.key().get("leaseKey").s(), "A", 1)).build());
        });
        ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("s").workerId("A")
                .failoverTime(Duration.ofSeconds(3)).build();
        ConsumerContext context = new ConsumerContext(config, leaseThreads, new Random(1), leaseThreads,
                leaseThreads, processorThreads);
        LeaseTable table = new LeaseTable(dynamo, "app");
        return new Dispatcher(context, () -> {
            throw new AssertionError("no processor runs: the processor threads are never run");
        }, kinesis, table, new ShardSyncer(kinesis, "s", table, config.initialPosition(), Duration.ZERO,
                leaseThreads));
    }

    @Test
    void aLeaseTakenWhileRunningGetsAShardConsumer() {
        rows.add(row(SHARD0, null, 0));
        Dispatcher d = dispatcher();
        d.start();
        leaseThreads.advance(Duration.ZERO); // the first scan: takes the unowned lease
        assertEquals(Set.of(SHARD0), d.heldLeaseKeys());
        assertEquals(Set.of(SHARD0), d.activeShards());
        assertEquals(1, processorThreads.pending(), "the shard consumer's processor thread");
        assertEquals(List.of(SHARD0 + ": SET #o = :me, #c = :next"), updates, "taken, not released");
    }

    @Test
    void aLeaseTakenWhileShuttingDownIsReleasedAtOnce() {
        rows.add(row(SHARD0, null, 0));
        Dispatcher d = dispatcher();
        d.start();
        d.releaseNewLeases();
        leaseThreads.advance(Duration.ZERO); // a scan that was already running when the shutdown began
        assertTrue(d.activeShards().isEmpty());
        assertTrue(d.heldLeaseKeys().isEmpty(), "given up: peers may take it at once");
        assertEquals(0, processorThreads.pending());
        assertEquals(List.of(SHARD0 + ": SET #o = :me, #c = :next", SHARD0 + ": SET #c = #c + :one REMOVE #o"),
                updates);
    }

    @Test
    void aLeaseTakenAfterAHaltIsLeftToExpire() {
        rows.add(row(SHARD0, null, 0));
        rows.add(row(SHARD1, null, 0));
        Dispatcher d = dispatcher();
        d.start();
        d.ignoreNewLeases();
        leaseThreads.advance(Duration.ZERO);
        assertTrue(d.activeShards().isEmpty());
        assertEquals(0, processorThreads.pending());
        assertTrue(updates.stream().noneMatch(u -> u.contains("REMOVE #o")), "nothing released: " + updates);
    }
}
