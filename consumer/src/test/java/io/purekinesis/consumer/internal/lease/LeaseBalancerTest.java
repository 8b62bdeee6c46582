package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class LeaseBalancerTest {

    private static final Predicate<Lease> NONE_EXPIRED = l -> !l.isOwned();

    static Lease lease(int shard, String owner) {
        return new Lease(shardId(shard), owner, 1, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(), Set.of(), null,
                null, null);
    }

    static String shardId(int shard) {
        return String.format("shardId-%012d", shard);
    }

    static List<Lease> leases(String... owners) {
        List<Lease> out = new ArrayList<>();
        for (int i = 0; i < owners.length; i++) {
            out.add(lease(i, owners[i]));
        }
        return out;
    }

    @Test
    void freshWorkerTakesAllUnownedLeasesWhenAlone() {
        LeaseBalancer.Plan plan = LeaseBalancer.plan(leases(null, null, null, null), NONE_EXPIRED, "A", 1,
                new Random(1));
        assertEquals(4, plan.take().size());
        assertEquals(4, plan.target());
    }

    @Test
    void takesOnlyUpToCeilOfLeasesPerWorker() {
        // 8 leases, A holds 3, B holds 0 unowned 5: workers {A,B} -> target 4; B takes 4 unowned
        List<Lease> all = leases("A", "A", "A", null, null, null, null, null);
        LeaseBalancer.Plan plan = LeaseBalancer.plan(all, NONE_EXPIRED, "B", 1, new Random(1));
        assertEquals(4, plan.target());
        assertEquals(4, plan.take().size());
        assertTrue(plan.steal().isEmpty());
    }

    @Test
    void stealsOneAtATimeFromTheMostLoadedWorker() {
        List<Lease> all = leases("A", "A", "A", "A", "A", "A", "C", "C");
        LeaseBalancer.Plan plan = LeaseBalancer.plan(all, NONE_EXPIRED, "B", 1, new Random(1));
        assertEquals(3, plan.target());
        assertEquals(1, plan.steal().size());
        assertEquals("A", plan.steal().get(0).leaseOwner());
        assertTrue(plan.take().isEmpty());
    }

    @Test
    void maxStealBoundsTheSteal() {
        List<Lease> all = leases("A", "A", "A", "A", "A", "A", "A", "A");
        assertEquals(1, LeaseBalancer.plan(all, NONE_EXPIRED, "B", 1, new Random(1)).steal().size());
        assertEquals(3, LeaseBalancer.plan(all, NONE_EXPIRED, "B", 3, new Random(1)).steal().size());
        assertEquals(4, LeaseBalancer.plan(all, NONE_EXPIRED, "B", 10, new Random(1)).steal().size());
    }

    @Test
    void noThrashingWhenTheMostLoadedIsAtTarget() {
        // 8 leases over 3 workers: 3,3,2 is balanced; the worker with 2 must not steal.
        List<Lease> all = leases("A", "A", "A", "B", "B", "B", "C", "C");
        for (String me : List.of("A", "B", "C")) {
            assertTrue(LeaseBalancer.plan(all, NONE_EXPIRED, me, 1, new Random(1)).isEmpty(), me);
        }
        // 2 workers, 5 leases: 3,2 is balanced
        List<Lease> five = leases("A", "A", "A", "B", "B");
        assertTrue(LeaseBalancer.plan(five, NONE_EXPIRED, "B", 1, new Random(1)).isEmpty());
    }

    @Test
    void stealsWhenTwoBelowATargetHeldExactly() {
        // 3 workers, 7 leases: target 3; A 3, B 3, C 1 -> C needs 2, most loaded at target -> steal 1
        List<Lease> all = leases("A", "A", "A", "B", "B", "B", "C");
        assertEquals(1, LeaseBalancer.plan(all, NONE_EXPIRED, "C", 1, new Random(1)).steal().size());
    }

    @Test
    void repeatedPlanningConvergesWithoutMovingBack() {
        List<Lease> all = new ArrayList<>(leases("A", "A", "A", "A", "A", "A", "A", "A"));
        String[] workers = {"A", "B", "C"};
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            for (String me : workers) {
                LeaseBalancer.Plan plan = LeaseBalancer.plan(all, NONE_EXPIRED, me, 1, random);
                for (Lease l : plan.steal()) {
                    all.replaceAll(x -> x.leaseKey().equals(l.leaseKey()) ? lease(Integer.parseInt(
                            x.leaseKey().substring(8)), me) : x);
                }
            }
        }
        for (String me : workers) {
            long count = all.stream().filter(l -> l.isOwnedBy(me)).count();
            assertTrue(count == 2 || count == 3, me + " holds " + count);
        }
        // and now stable: nobody plans anything
        for (String me : workers) {
            assertTrue(LeaseBalancer.plan(all, NONE_EXPIRED, me, 1, random).isEmpty());
        }
    }

    @Test
    void expiredLeasesAreTakenAndTheirOwnerNotCountedAsAWorker() {
        List<Lease> all = leases("dead", "dead", "dead", "dead");
        LeaseBalancer.Plan plan = LeaseBalancer.plan(all, l -> true, "B", 1, new Random(1));
        assertEquals(1, plan.workers());
        assertEquals(4, plan.take().size());
    }

    @Test
    void completedLeasesAndChildrenOfUnfinishedParentsAreNotAssigned() {
        Lease parent = lease(0, null);
        Lease done = new Lease(shardId(1), null, 3, ExtendedSequenceNumber.SHARD_END, 0, Set.of(), Set.of(), null,
                null, null);
        Lease childOfOpen = new Lease(shardId(2), null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
                Set.of(shardId(0)), Set.of(), null, null, null);
        Lease childOfDone = new Lease(shardId(3), null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
                Set.of(shardId(1)), Set.of(), null, null, null);
        Lease childOfMissing = new Lease(shardId(4), null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
                Set.of(shardId(99)), Set.of(), null, null, null);
        LeaseBalancer.Plan plan = LeaseBalancer.plan(List.of(parent, done, childOfOpen, childOfDone, childOfMissing),
                NONE_EXPIRED, "A", 1, new Random(1));
        assertEquals(Set.of(shardId(0), shardId(3), shardId(4)),
                plan.take().stream().map(Lease::leaseKey).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void aMergeChildWaitsForBothParentsAndAChainForEveryGeneration() {
        Lease doneParent = new Lease(shardId(1), null, 3, ExtendedSequenceNumber.SHARD_END, 0, Set.of(), Set.of(),
                null, null, null);
        Lease openParent = lease(2, null);
        Lease merged = new Lease(shardId(3), null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
                Set.of(shardId(1), shardId(2)), Set.of(), null, null, null);
        Lease grandchild = new Lease(shardId(4), null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0, Set.of(shardId(3)),
                Set.of(), null, null, null);
        java.util.function.Function<List<Lease>, Set<String>> taken = all -> LeaseBalancer.plan(all, NONE_EXPIRED,
                "A", 1, new Random(1)).take().stream().map(Lease::leaseKey)
                .collect(java.util.stream.Collectors.toSet());
        assertEquals(Set.of(shardId(2)), taken.apply(List.of(doneParent, openParent, merged, grandchild)),
                "one parent open: neither the merge child nor its child");
        Lease parentDone = new Lease(shardId(2), null, 3, ExtendedSequenceNumber.SHARD_END, 0, Set.of(), Set.of(),
                null, null, null);
        assertEquals(Set.of(shardId(3)), taken.apply(List.of(doneParent, parentDone, merged, grandchild)),
                "both parents done: the merge child, not yet the grandchild");
        assertEquals(Set.of(shardId(3)), taken.apply(List.of(merged, grandchild)),
                "parents' leases cleaned up: they count as done");
    }

    @Test
    void leasesInHandoffAreNotStolenAgain() {
        List<Lease> all = new ArrayList<>(leases("A", "A", "A", "A"));
        all.replaceAll(l -> new Lease(l.leaseKey(), "A", 1, l.checkpoint(), 0, Set.of(), Set.of(), null, null, "X"));
        assertTrue(LeaseBalancer.plan(all, NONE_EXPIRED, "B", 1, new Random(1)).steal().isEmpty());
    }
}
