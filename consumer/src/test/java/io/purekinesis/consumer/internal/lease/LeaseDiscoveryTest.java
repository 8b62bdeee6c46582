package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * Handoffs from a worker that its heartbeat lists (issue 17: a lease pulled before its owner looked it up), on the
 * manual clock with a lease table in memory behind a mocked client.
 */
class LeaseDiscoveryTest {

    private static final Duration HANDOFF_TIMEOUT = Duration.ofSeconds(10);
    private static final String S1 = "shardId-000000000001";
    private static final String S2 = "shardId-000000000002";
    private static final String S3 = "shardId-000000000003";
    private static final String S4 = "shardId-000000000004";
    private static final String S5 = "shardId-000000000005";
    private static final String S6 = "shardId-000000000006";

    private final ManualScheduler time = new ManualScheduler();
    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final Map<String, Lease> rows = new ConcurrentHashMap<>();
    private final List<String> writes = new CopyOnWriteArrayList<>();
    private final List<String> told = new CopyOnWriteArrayList<>();
    private final List<String> dealt = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final Set<String> dead = ConcurrentHashMap.newKeySet();
    private final List<String> reads = new CopyOnWriteArrayList<>();
    private final List<Integer> writesAfterReads = new CopyOnWriteArrayList<>();
    private volatile Runnable onRead = () -> { };
    private final HeldLeases held = new HeldLeases(ConsumerMetrics.NOOP, new LeaseCoordinator.Listener() {
        @Override
        public void leaseAcquired(Lease lease) {
            events.add("acquired " + lease.leaseKey());
        }

        @Override
        public void leaseLost(String leaseKey) {
            events.add("lost " + leaseKey);
        }

        @Override
        public void handoffRequested(String leaseKey) {
            events.add("handoff " + leaseKey);
        }
    });

    LeaseDiscoveryTest() {
        when(dynamo.query(any(QueryRequest.class))).thenAnswer(inv -> {
            QueryRequest r = inv.getArgument(0);
            String owner = r.expressionAttributeValues().get(":o").s();
            List<Map<String, AttributeValue>> items = new ArrayList<>();
            rows.values().stream().filter(l -> owner.equals(l.leaseOwner())).forEach(l -> items.add(Map.of(
                    "leaseKey", AttributeValue.fromS(l.leaseKey()), "leaseOwner", AttributeValue.fromS(owner))));
            return CompletableFuture.completedFuture(QueryResponse.builder().items(items).build());
        });
        when(dynamo.getItem(any(GetItemRequest.class))).thenAnswer(inv -> {
            GetItemRequest r = inv.getArgument(0);
            reads.add(r.key().get("leaseKey").s());
            onRead.run();
            Lease l = rows.get(r.key().get("leaseKey").s());
            return CompletableFuture.completedFuture(l == null ? GetItemResponse.builder().build()
                    : GetItemResponse.builder().item(LeaseAttributes.toItem(l)).build());
        });
        // the writes that end a handoff: REMOVE checkpointOwner ADD leaseCounter 1, conditional on the checkpoint
        // owner (and, when forced, on the owner)
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            UpdateItemRequest r = inv.getArgument(0);
            String key = r.key().get("leaseKey").s();
            assertTrue(r.updateExpression().startsWith("REMOVE #co ADD #c :one"), r.updateExpression());
            Map<String, AttributeValue> v = r.expressionAttributeValues();
            String from = v.containsKey(":prev") ? v.get(":prev").s() : v.get(":me").s();
            Lease l = rows.get(key);
            if (l == null || !from.equals(l.checkpointOwner())
                    || (v.containsKey(":prev") && !v.get(":me").s().equals(l.leaseOwner()))) {
                return CompletableFuture.failedFuture(ConditionalCheckFailedException.builder().build());
            }
            Lease after = new Lease(key, l.leaseOwner(), l.leaseCounter() + 1, l.checkpoint(), 0, Set.of(), Set.of(),
                    null, null, null);
            rows.put(key, after);
            writes.add("end handoff " + key + " by " + v.get(":me").s());
            writesAfterReads.add(reads.size());
            return CompletableFuture.completedFuture(r.returnValues() == ReturnValue.ALL_NEW
                    ? UpdateItemResponse.builder().attributes(LeaseAttributes.toItem(after)).build()
                    : UpdateItemResponse.builder().build());
        });
    }

    private LeaseDiscovery discovery(String workerId) {
        LeaseDiscovery d = unstarted(workerId);
        d.start();
        time.runUntilIdle();
        return d;
    }

    private LeaseDiscovery unstarted(String workerId) {
        return new LeaseDiscovery(new LeaseTable(dynamo, "app", () -> true), held, workerId, time,
                ConsumerMetrics.NOOP, HANDOFF_TIMEOUT, Duration.ofSeconds(10), () -> false, dead::contains, time,
                new FailureReporter(LoggerFactory.getLogger(LeaseDiscoveryTest.class), ConsumerMetrics.NOOP, time),
                dealt::add, told::add);
    }

    private static Lease lease(String key, String owner, String checkpointOwner) {
        return new Lease(key, owner, 1, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(), Set.of(), null, null,
                checkpointOwner);
    }

    private void holdActive(String key) {
        Held h = new Held(rows.get(key), HeldLeases.State.WAITING_PARENTS, time.millis());
        held.put(key, h);
        held.activate(h, time.millis());
    }

    @Test
    void aHandoffOfALeaseTheVictimNeverLookedUpEndsAtOnceAndTheNewOwnerIsTold() {
        rows.put(S1, lease(S1, "B", "A")); // B pulled it before A looked it up: A's owner index no longer has it
        LeaseDiscovery a = discovery("A");
        events.clear();

        a.handoffsAsked(Set.of(S1));
        time.runUntilIdle();

        assertNull(rows.get(S1).checkpointOwner(), "let go: B may start now, not after its handoff timeout");
        assertEquals(2, rows.get(S1).leaseCounter(), "the counter moves, as when a handoff ends (KCL's rule)");
        assertEquals(List.of("B"), told);
        assertEquals(List.of(S1), dealt);
        assertEquals(List.of(), events, "A never processed it, and does not start it");
        assertTrue(held.keys().isEmpty());
    }

    @Test
    void aHeldLeaseIsHandedOffGracefullyNotLetGoBeforeItsProcessorCheckpointed() {
        rows.put(S2, lease(S2, "A", null));
        LeaseDiscovery a = discovery("A");
        holdActive(S2);
        rows.put(S2, lease(S2, "B", "A")); // B pulls it; the owner index may still show it as A's
        events.clear();

        a.handoffsAsked(Set.of(S2));
        time.runUntilIdle();

        assertEquals(List.of("handoff " + S2), events, "the processor is asked to checkpoint first");
        assertEquals("A", rows.get(S2).checkpointOwner(), "still A's to checkpoint");
        assertEquals(List.of(), writes);
        assertEquals(List.of(S2), dealt);

        a.handoffsAsked(Set.of(S2)); // listed again (the delete not written yet): its processor is finishing
        time.runUntilIdle();
        assertEquals("A", rows.get(S2).checkpointOwner());
        assertEquals(List.of(), writes);
        assertEquals("B", a.handoffTarget(S2), "the processor's finishHandoff tells B");
    }

    @Test
    void aHandoffOverAlreadyOrOfALeaseStillHeldChangesNothing() {
        rows.put(S3, lease(S3, "B", null)); // B forced it meanwhile
        rows.put(S4, lease(S4, "A", null)); // a stale entry: the lease came back to A
        LeaseDiscovery a = discovery("A");
        events.clear();

        a.handoffsAsked(Set.of(S3, S4));
        time.runUntilIdle();

        assertEquals(List.of(), writes);
        assertEquals(List.of(), told);
        assertEquals(Set.of(S3, S4), Set.copyOf(dealt));
        assertEquals(Set.of(S4), held.keys(), "adopted by the lookup, as before");
    }

    @Test
    void theNewOwnerStartsWhenTheVictimLetsGoAndStillTakesOverAfterTheTimeoutWhenItNeverDoes() {
        rows.put(S5, lease(S5, "B", "A"));
        rows.put(S6, lease(S6, "B", "A"));
        LeaseDiscovery b = discovery("B");
        assertEquals(HeldLeases.State.WAITING_HANDOFF, held.get(S5).state);
        assertEquals(HeldLeases.State.WAITING_HANDOFF, held.get(S6).state);

        // A lets s5 go (as aHandoffOfALeaseTheVictimNeverLookedUp...): B is told, looks up, starts it
        rows.put(S5, lease(S5, "B", null));
        b.request();
        time.runUntilIdle();
        assertEquals(List.of("acquired " + S5), events);

        // A never answers for s6 (it died): the timeout path is still there
        time.advance(HANDOFF_TIMEOUT.minusMillis(1));
        b.tick();
        time.runUntilIdle();
        assertEquals(List.of("acquired " + S5), events);
        time.advance(Duration.ofMillis(1));
        b.tick();
        time.runUntilIdle();
        assertEquals(List.of("acquired " + S5, "acquired " + S6), events);
        assertEquals(List.of("end handoff " + S6 + " by B"), writes);
    }

    @Test
    void aWorkerAdoptingManyLeasesLetsAPulledOneGoBetweenItsChunksOfReads() {
        int n = 2 * LeaseDiscovery.READS_IN_FLIGHT;
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add(String.format("shardId-%012d", 100 + i));
            rows.put(keys.get(i), lease(keys.get(i), "A", null));
        }
        LeaseDiscovery[] a = new LeaseDiscovery[1];
        String[] pulled = new String[1];
        onRead = () -> {
            if (reads.size() == LeaseDiscovery.READS_IN_FLIGHT) { // the first chunk is out: B pulls an unread one
                pulled[0] = keys.stream().filter(k -> !reads.contains(k)).findFirst().orElseThrow();
                rows.put(pulled[0], lease(pulled[0], "B", "A"));
                a[0].handoffsAsked(Set.of(pulled[0]));
            }
        };
        a[0] = unstarted("A");
        a[0].start(); // its first lookup adopts the 64 leases, 32 reads at a time
        time.runUntilIdle();

        assertEquals(List.of("end handoff " + pulled[0] + " by A"), writes);
        assertEquals(List.of(LeaseDiscovery.READS_IN_FLIGHT), writesAfterReads, "let go before the second chunk");
        assertEquals(List.of("B"), told);
        assertEquals(n - 1, held.keys().size());
        assertTrue(!held.contains(pulled[0]));
    }

    @Test
    void aWorkerNotStartedYetLetsItsPulledLeasesGoAtOnce() {
        rows.put(S1, lease(S1, "B", "A")); // A joined and got leases, but is still in its start-up
        LeaseDiscovery a = unstarted("A");

        a.handoffsAsked(Set.of(S1));
        time.runUntilIdle();

        assertEquals(List.of("end handoff " + S1 + " by A"), writes);
        assertEquals(List.of("B"), told);
        assertEquals(List.of(S1), dealt);
        assertTrue(held.keys().isEmpty());
    }
}
