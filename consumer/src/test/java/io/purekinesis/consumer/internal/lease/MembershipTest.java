package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.lease.HeldLeases.Held;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Heartbeats, self-fencing and rejoining, on the manual clock with an in-memory worker table. */
class MembershipTest {

    private static final Duration FAILOVER = Duration.ofSeconds(10);
    private static final Duration BEAT = Duration.ofSeconds(1);

    private final ManualScheduler time = new ManualScheduler();
    private final FakeWorkers workers = new FakeWorkers();
    private final List<String> lost = new CopyOnWriteArrayList<>();
    private final AtomicInteger lookups = new AtomicInteger();
    private final List<Set<String>> asked = new CopyOnWriteArrayList<>();
    private final HeldLeases held = new HeldLeases(ConsumerMetrics.NOOP, new LeaseCoordinator.Listener() {
        @Override
        public void leaseAcquired(Lease lease) {
        }

        @Override
        public void leaseLost(String leaseKey) {
            lost.add(leaseKey);
        }

        @Override
        public void handoffRequested(String leaseKey) {
        }
    });
    private final Membership membership = new Membership(workers, "A", time, time, FAILOVER, BEAT, held,
            ConsumerMetrics.NOOP, lookups::incrementAndGet, asked::add,
            new FailureReporter(LoggerFactory.getLogger(MembershipTest.class), ConsumerMetrics.NOOP, time));

    private void holdActive(String key) {
        Held h = new Held(new Lease(key, "A", 1, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(), Set.of(), null,
                null, null), HeldLeases.State.WAITING_PARENTS, time.millis());
        held.put(key, h);
        held.activate(h, time.millis());
    }

    /** Heartbeat ticks every BEAT for {@code d}. */
    private void beatFor(Duration d) {
        for (long t = 0; t < d.toMillis(); t += BEAT.toMillis()) {
            time.advance(BEAT);
            membership.tick();
        }
    }

    @Test
    void theMarginIsAFifthOfTheFailoverTimeAtMostOneSecond() {
        assertEquals(Duration.ofSeconds(1), Membership.fenceMargin(Duration.ofSeconds(10)));
        assertEquals(Duration.ofMillis(600), Membership.fenceMargin(Duration.ofSeconds(3)));
    }

    @Test
    void aNewAssignVersionInTheHeartbeatsAnswerStartsALookup() {
        membership.join();
        beatFor(BEAT);
        assertEquals(0, lookups.get(), "nothing assigned yet");
        workers.assigned("A", 2);
        beatFor(BEAT);
        assertEquals(1, lookups.get());
        beatFor(BEAT.multipliedBy(Membership.CATCH_UP_LOOKUPS));
        assertEquals(1 + Membership.CATCH_UP_LOOKUPS, lookups.get(), "looked up again while the index catches up");
        beatFor(BEAT.multipliedBy(3));
        assertEquals(1 + Membership.CATCH_UP_LOOKUPS, lookups.get(), "no change, no lookup");
    }

    @Test
    void aWorkerWhoseHeartbeatsFailDropsItsLeasesAMarginBeforePeersMayDeclareItDead() {
        membership.join();
        holdActive("s0");
        holdActive("s1");
        workers.failHeartbeats = true;
        long lastWritten = time.millis();
        // fenced when the last heartbeat written was sent F - margin (9 s) ago, between two heartbeat ticks if
        // need be: a peer may declare it dead only after F (10 s)
        time.advance(Duration.ofMillis(8_500));
        membership.tick();
        assertFalse(membership.isFenced());
        while (!membership.isFenced()) {
            time.advance(Duration.ofMillis(100));
        }
        long fencedAfter = time.millis() - lastWritten;
        assertTrue(fencedAfter > 9_000 && fencedAfter <= 9_100, "fenced after " + fencedAfter + " ms");
        assertEquals(Set.of("s0", "s1"), Set.copyOf(lost));
        assertTrue(held.keys().isEmpty());
        assertEquals(0, lookups.get());

        workers.failHeartbeats = false;
        beatFor(BEAT);
        assertFalse(membership.isFenced());
        assertEquals(1, lookups.get(), "back: it looks up which leases still name it");
    }

    @Test
    void aWorkerDeclaredDeadDropsEverythingRejoinsAndLooksItsLeasesUpAgain() {
        membership.join();
        holdActive("s0");
        WorkerRow row = workers.row("A").orElseThrow();
        assertTrue(workers.evict("A", row.beats(), time.wallTime().toEpochMilli()).join());
        beatFor(BEAT);
        assertTrue(membership.isFenced());
        assertEquals(List.of("s0"), lost);
        assertFalse(workers.row("A").orElseThrow().isEvicted(), "rejoined");
        beatFor(BEAT);
        assertFalse(membership.isFenced());
        assertEquals(1, lookups.get());
    }

    @Test
    void theHeartbeatReportsTheWorkloadAndLeaving() {
        membership.join();
        holdActive("s0");
        Held done = new Held(new Lease("s1", "A", 1, ExtendedSequenceNumber.SHARD_END, 0, Set.of(), Set.of(), null,
                null, null), HeldLeases.State.COMPLETED, 0);
        held.put("s1", done);
        membership.leaving();
        beatFor(BEAT);
        WorkerRow row = workers.row("A").orElseThrow();
        assertEquals(1, row.leaseCount(), "a finished lease is no work");
        assertTrue(row.leaving());
    }

    @Test
    void handoffsListedOnTheRowArePassedOnOnceAndDeletedByTheNextHeartbeatOnceDealtWith() {
        membership.join();
        workers.handedOff("A", Set.of("s0", "s1"));
        beatFor(BEAT);
        assertEquals(List.of(Set.of("s0", "s1")), asked);
        assertEquals(1, lookups.get(), "the assignVersion moved too");
        beatFor(BEAT.multipliedBy(2));
        assertEquals(1, asked.size(), "passed on once while not dealt with");

        membership.handoffDealt("s0");
        beatFor(BEAT);
        assertEquals(Set.of("s1"), workers.row("A").orElseThrow().handoffs(), "deleted by the heartbeat");
        workers.handedOff("A", Set.of("s0")); // taken back meanwhile and handed off again: a new handoff
        beatFor(BEAT);
        assertEquals(List.of(Set.of("s0", "s1"), Set.of("s0")), asked);

        membership.handoffDealt("s0");
        membership.handoffDealt("s1");
        beatFor(BEAT.multipliedBy(2));
        assertEquals(Set.of(), workers.row("A").orElseThrow().handoffs());
        assertEquals(2, asked.size());
    }

    @Test
    void handoffsLeftOnTheRowOfAFormerIncarnationArePassedOnAtJoin() {
        workers.heartbeat("A", 0, 3, false).join();
        workers.handedOff("A", Set.of("s7"));
        membership.join();
        assertEquals(List.of(Set.of("s7")), asked);
    }
}
