package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/** Dead-worker detection and reassignment, on the manual clock with an in-memory worker table. */
class FleetMonitorTest {

    private static final Duration FAILOVER = Duration.ofSeconds(10);
    private static final Duration MONITOR = Duration.ofSeconds(1);

    private final ManualScheduler time = new ManualScheduler();
    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final LeaseTable table = new LeaseTable(dynamo, "app", () -> true);
    private final List<String> assigns = new CopyOnWriteArrayList<>();
    private final AtomicInteger lookups = new AtomicInteger();

    private FleetMonitor monitor(Workers workers) {
        when(dynamo.query(any(QueryRequest.class))).thenAnswer(inv -> {
            QueryRequest r = inv.getArgument(0);
            String owner = r.expressionAttributeValues().get(":o").s();
            List<Map<String, AttributeValue>> items = new ArrayList<>();
            if (owner.equals("B")) {
                items.add(Map.of("leaseKey", AttributeValue.fromS("shardId-000000000000"), "leaseOwner",
                        AttributeValue.fromS("B")));
                items.add(Map.of("leaseKey", AttributeValue.fromS("shardId-000000000001"), "leaseOwner",
                        AttributeValue.fromS("B")));
            }
            return CompletableFuture.completedFuture(QueryResponse.builder().items(items).build());
        });
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            UpdateItemRequest r = inv.getArgument(0);
            assigns.add(r.key().get("leaseKey").s() + " -> " + r.expressionAttributeValues().get(":to").s());
            return CompletableFuture.completedFuture(UpdateItemResponse.builder().build());
        });
        HeldLeases held = new HeldLeases(ConsumerMetrics.NOOP, new LeaseCoordinator.Listener() {
            @Override
            public void leaseAcquired(Lease lease) {
            }

            @Override
            public void leaseLost(String leaseKey) {
            }

            @Override
            public void handoffRequested(String leaseKey) {
            }
        });
        return new FleetMonitor(workers, table, held, "A", time, ConsumerMetrics.NOOP, new Random(1), FAILOVER,
                MONITOR, Duration.ofSeconds(1), 100, lookups::incrementAndGet, () -> false,
                new FailureReporter(LoggerFactory.getLogger(FleetMonitorTest.class), ConsumerMetrics.NOOP, time),
                time);
    }

    /** A (this worker) and B, both just beaten; B's row counts one lease, so A pulls nothing by balancing. */
    private FakeWorkers aAndB() {
        FakeWorkers workers = new FakeWorkers();
        workers.heartbeat("A", wall(), 0, false);
        workers.heartbeat("B", wall(), 1, false);
        return workers;
    }

    private long wall() {
        return time.wallTime().toEpochMilli();
    }

    @Test
    void aWorkerSilentForTheFailoverTimeIsEvictedOnceAndItsLeasesGoToTheLeastLoaded() {
        FakeWorkers workers = new FakeWorkers();
        workers.heartbeat("A", wall(), 0, false);
        workers.heartbeat("B", wall(), 2, false);
        workers.heartbeat("C", wall(), 3, false);
        FleetMonitor monitor = monitor(workers);
        time.advance(FAILOVER);
        workers.heartbeat("A", wall(), 0, false);
        workers.heartbeat("C", wall(), 3, false);
        monitor.poll();
        assertFalse(workers.writes.contains("evict B"), "silent for exactly the failover time: not yet");

        time.advance(Duration.ofMillis(1));
        monitor.poll();
        assertTrue(workers.row("B").orElseThrow().isEvicted());
        assertEquals(List.of("shardId-000000000000 -> A", "shardId-000000000001 -> A"), assigns,
                "to the least loaded live worker (A has 0, C has 3)");
        assertEquals(1, lookups.get(), "A looks its new leases up at once");
        assertEquals(0, workers.row("B").orElseThrow().leaseCount(), "drained");
        assertTrue(monitor.isDead("B"));
        assertFalse(monitor.isDead("C"));

        monitor.poll();
        assertEquals(1, workers.writes.stream().filter("evict B"::equals).count(), "evicted once");
        assertEquals(2, assigns.size(), "nothing left to move");
    }

    @Test
    void aWorkerThatBeatSinceThePollerReadItsRowIsSpared() {
        FakeWorkers workers = new FakeWorkers();
        workers.heartbeat("A", wall(), 0, false);
        workers.heartbeat("B", wall(), 2, false);
        List<WorkerRow> stale = workers.all().join(); // an eventually consistent read from before B's last beat
        time.advance(FAILOVER.plusSeconds(1));
        workers.heartbeat("B", wall(), 2, false);
        Workers staleReads = new Workers() {
            @Override
            public CompletableFuture<WorkerRow> heartbeat(String w, long at, int n, boolean leaving,
                    java.util.Set<String> done) {
                return workers.heartbeat(w, at, n, leaving, done);
            }

            @Override
            public CompletableFuture<Boolean> rejoin(String w, long e) {
                return workers.rejoin(w, e);
            }

            @Override
            public CompletableFuture<List<WorkerRow>> all() {
                return CompletableFuture.completedFuture(stale);
            }

            @Override
            public CompletableFuture<java.util.Optional<WorkerRow>> get(String w) {
                return workers.get(w);
            }

            @Override
            public CompletableFuture<Boolean> evict(String w, long beats, long at) {
                return workers.evict(w, beats, at);
            }

            @Override
            public CompletableFuture<Boolean> assigned(String w, int d) {
                return workers.assigned(w, d);
            }

            @Override
            public CompletableFuture<Boolean> handedOff(String w, java.util.Set<String> keys) {
                return workers.handedOff(w, keys);
            }

            @Override
            public CompletableFuture<Boolean> drained(String w, long e) {
                return workers.drained(w, e);
            }

            @Override
            public CompletableFuture<Boolean> delete(String w) {
                return workers.delete(w);
            }

            @Override
            public CompletableFuture<Boolean> deleteEvicted(String w, long e) {
                return workers.deleteEvicted(w, e);
            }
        };
        monitor(staleReads).poll();
        assertFalse(workers.row("B").orElseThrow().isEvicted(), "the eviction is conditional on the beats read");
        assertEquals(List.of(), assigns);
        verify(dynamo, never()).query(any(QueryRequest.class));
    }

    @Test
    void aSuspectIsDeclaredDeadTheMomentItsLastHeartbeatTurnsFailoverOldNotAtTheNextPoll() {
        FakeWorkers workers = aAndB();
        long lastBeat = wall();
        FleetMonitor monitor = monitor(workers);
        time.advance(Duration.ofSeconds(3));
        workers.heartbeat("A", wall(), 0, false);
        monitor.poll(); // B missed two heartbeats: a suspect, not dead
        assertFalse(workers.row("B").orElseThrow().isEvicted());

        long checkAt = FleetMonitor.suspectCheckAt(lastBeat, FAILOVER.toMillis(), MONITOR.toMillis());
        assertTrue(checkAt > lastBeat + FAILOVER.toMillis() && checkAt <= lastBeat + FAILOVER.toMillis() + 270,
                "past the failover time, by at most the grace and a quarter of a slot: " + (checkAt - lastBeat));
        time.advance(Duration.ofMillis(checkAt - 1 - wall()));
        assertFalse(workers.row("B").orElseThrow().isEvicted(), "not before the check");
        time.advance(Duration.ofMillis(1));
        assertTrue(workers.row("B").orElseThrow().isEvicted(), "evicted without waiting for a slot of its own");
        assertEquals(List.of("shardId-000000000000 -> A", "shardId-000000000001 -> A"), assigns);
        assertEquals(1, lookups.get(), "A looks its new leases up at once");
    }

    @Test
    void aSuspectThatBeatsAgainIsSparedAndItsNextSilenceGetsItsOwnCheck() {
        FakeWorkers workers = aAndB();
        long firstBeat = wall();
        FleetMonitor monitor = monitor(workers);
        time.advance(Duration.ofSeconds(3));
        monitor.poll();
        monitor.poll();
        monitor.poll();
        assertEquals(1, time.pending(), "one check per suspect and heartbeat seen, however many polls see it");

        time.advance(Duration.ofSeconds(2));
        workers.heartbeat("B", wall(), 1, false); // B was slow, not dead
        long secondBeat = wall();
        time.advance(Duration.ofSeconds(3));
        monitor.poll(); // B is a suspect again, with a newer heartbeat
        assertEquals(2, time.pending());
        time.advance(Duration.ofMillis(FleetMonitor.suspectCheckAt(firstBeat, FAILOVER.toMillis(), MONITOR.toMillis()) - wall()));
        assertFalse(workers.row("B").orElseThrow().isEvicted(), "the first check reads the fleet again: B beat since");
        assertEquals(List.of(), assigns);

        time.advance(Duration.ofMillis(FleetMonitor.suspectCheckAt(secondBeat, FAILOVER.toMillis(), MONITOR.toMillis()) - wall()));
        assertTrue(workers.row("B").orElseThrow().isEvicted(), "the second check finds it silent since");
    }

    @Test
    void aStoppedMonitorChecksNoSuspect() {
        FakeWorkers workers = aAndB();
        FleetMonitor monitor = monitor(workers);
        time.advance(Duration.ofSeconds(3));
        monitor.poll();
        monitor.stop();
        time.advance(FAILOVER);
        assertFalse(workers.row("B").orElseThrow().isEvicted(), "a leaving worker declares nobody dead");
    }

    @Test
    void workersThatDieTogetherAreBothCheckedAndNeitherGetsTheOthersLeases() {
        FakeWorkers workers = new FakeWorkers();
        workers.heartbeat("A", wall(), 0, false);
        workers.heartbeat("B", wall(), 1, false); // holds the two leases of the mocked owner index
        workers.heartbeat("C", wall(), 0, false);
        FleetMonitor monitor = monitor(workers);
        time.advance(Duration.ofSeconds(3));
        workers.heartbeat("A", wall(), 0, false);
        monitor.poll(); // B and C are suspects; in this view C, 3 s late, is still live
        time.advance(FAILOVER);
        assertTrue(workers.row("B").orElseThrow().isEvicted());
        assertTrue(workers.row("C").orElseThrow().isEvicted());
        assertEquals(List.of("shardId-000000000000 -> A", "shardId-000000000001 -> A"), assigns,
                "the check reads the fleet again: C, dead too, gets none of B's leases");
    }

    @Test
    void suspectsLateTogetherShareAPoll() {
        FakeWorkers workers = new FakeWorkers();
        workers.heartbeat("A", wall(), 0, false);
        long first = wall();
        for (int i = 0; i < 5; i++) {
            workers.heartbeat("P" + i, wall(), 0, false); // five peers whose heartbeats stop 40 ms apart
            time.advance(Duration.ofMillis(40));
        }
        FleetMonitor monitor = monitor(workers);
        time.advance(Duration.ofSeconds(3));
        workers.heartbeat("A", wall(), 0, false);
        monitor.poll();
        time.advance(FAILOVER);
        for (int i = 0; i < 5; i++) {
            assertTrue(workers.row("P" + i).orElseThrow().isEvicted());
        }
        assertEquals(2, workers.allReads.get(), "the slot's poll, then one check for all five (due within 250 ms of "
                + (first + FAILOVER.toMillis()) + ")");
    }
}
