package io.purekinesis.consumer.internal.shardsync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.lease.Lease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** The lineage rules: which shards get leases, where they start, in what order, and which leases may go. */
class LineageTest {

    private static final InitialPosition AT_TIME = InitialPosition.atTimestamp(Instant.parse("2026-01-01T00:00:00Z"));

    /** A shard; {@code closed} gives it an ending sequence number. */
    static Shard shard(String id, boolean closed, String... parents) {
        return Shard.builder().shardId(id)
                .parentShardId(parents.length > 0 ? parents[0] : null)
                .adjacentParentShardId(parents.length > 1 ? parents[1] : null)
                .hashKeyRange(h -> h.startingHashKey("0").endingHashKey("100"))
                .sequenceNumberRange(r -> r.startingSequenceNumber("1").endingSequenceNumber(closed ? "9" : null))
                .build();
    }

    static Lease lease(String id, ExtendedSequenceNumber checkpoint, String... parents) {
        return new Lease(id, null, 0, checkpoint, 0, Set.of(parents), Set.of(), "0", "100", null);
    }

    private static Map<String, Lease> table(Lease... leases) {
        Map<String, Lease> out = new HashMap<>();
        for (Lease l : leases) {
            out.put(l.leaseKey(), l);
        }
        return out;
    }

    private static Map<String, Lease> byKey(List<Lease> leases) {
        return leases.stream().collect(Collectors.toMap(Lease::leaseKey, Function.identity()));
    }

    /** Split of P into A and B: P closed, A and B open. */
    private static final List<Shard> SPLIT = List.of(shard("A", false, "P"), shard("B", false, "P"),
            shard("P", true));

    @Test
    void freshTableAtTrimHorizonLeasesTheWholeLineageParentsFirst() {
        List<Lease> created = Lineage.leasesToCreate(SPLIT, Set.of(), InitialPosition.trimHorizon());
        assertEquals(List.of("P", "A", "B"), created.stream().map(Lease::leaseKey).toList());
        assertTrue(created.stream().allMatch(l -> l.checkpoint().equals(ExtendedSequenceNumber.TRIM_HORIZON)));
        assertEquals(Set.of("P"), byKey(created).get("A").parentShardIds());
        assertEquals(Set.of(), byKey(created).get("P").parentShardIds());
    }

    @Test
    void freshTableAtLatestLeasesOnlyOpenShards() {
        List<Lease> created = Lineage.leasesToCreate(SPLIT, Set.of(), InitialPosition.latest());
        assertEquals(List.of("A", "B"), created.stream().map(Lease::leaseKey).toList());
        assertTrue(created.stream().allMatch(l -> l.checkpoint().equals(ExtendedSequenceNumber.LATEST)));
    }

    @Test
    void freshTableAtTimestampLeasesTheWholeLineageAtThatTime() {
        List<Lease> created = Lineage.leasesToCreate(SPLIT, Set.of(), AT_TIME);
        assertEquals(List.of("P", "A", "B"), created.stream().map(Lease::leaseKey).toList());
        assertTrue(created.stream().allMatch(l -> l.checkpoint().equals(ExtendedSequenceNumber.AT_TIMESTAMP)));
    }

    @Test
    void mergeChildComesAfterBothParentsAndNamesBoth() {
        List<Shard> merge = List.of(shard("M", false, "X", "Y"), shard("Y", true), shard("X", true));
        List<Lease> created = Lineage.leasesToCreate(merge, Set.of(), InitialPosition.trimHorizon());
        assertEquals(List.of("X", "Y", "M"), created.stream().map(Lease::leaseKey).toList());
        assertEquals(Set.of("X", "Y"), byKey(created).get("M").parentShardIds());
    }

    @Test
    void chainOfSplitsAndMergesIsCreatedInLineageOrderWhateverTheListingOrder() {
        // S0 splits into S1 and S2; S1 and S2 merge into S3; S3 splits into S4 and S5; S5 and S6 (a root) merge
        List<Shard> chain = new ArrayList<>(List.of(shard("S0", true), shard("S1", true, "S0"),
                shard("S2", true, "S0"), shard("S3", true, "S1", "S2"), shard("S4", false, "S3"),
                shard("S5", true, "S3"), shard("S6", true), shard("S7", false, "S5", "S6")));
        Collections.shuffle(chain, new java.util.Random(7));
        List<String> order = Lineage.leasesToCreate(chain, Set.of(), InitialPosition.trimHorizon()).stream()
                .map(Lease::leaseKey).toList();
        assertEquals(8, order.size());
        for (Shard s : chain) {
            for (String parent : Lineage.parents(s)) {
                assertTrue(order.indexOf(parent) < order.indexOf(s.shardId()), parent + " before " + s.shardId()
                        + " in " + order);
            }
        }
    }

    @Test
    void aLongLineageDoesNotOverflowTheStack() {
        List<Shard> chain = new ArrayList<>();
        chain.add(shard("c0", true));
        for (int i = 1; i < 20_000; i++) {
            chain.add(shard("c" + i, i < 19_999, "c" + (i - 1)));
        }
        Collections.reverse(chain);
        List<Lease> created = Lineage.leasesToCreate(chain, Set.of(), InitialPosition.trimHorizon());
        assertEquals("c0", created.get(0).leaseKey());
        assertEquals("c19999", created.get(created.size() - 1).leaseKey());
    }

    @Test
    void childrenFoundLaterStartAtTrimHorizonWhateverTheInitialPosition() {
        Map<String, Lease> existing = table(lease("P", ExtendedSequenceNumber.of("5", 0)));
        List<Lease> created = Lineage.leasesToCreate(SPLIT, existing.keySet(), InitialPosition.latest());
        assertEquals(List.of("A", "B"), created.stream().map(Lease::leaseKey).toList());
        assertTrue(created.stream().allMatch(l -> l.checkpoint().equals(ExtendedSequenceNumber.TRIM_HORIZON)));
    }

    @Test
    void aParentWhoseLeaseWasCleanedUpIsNotLeasedAgain() {
        // P finished and its lease was deleted; A and B (and a grandparent G of P) must not bring it back
        List<Shard> shards = List.of(shard("G", true), shard("P", true, "G"), shard("A", false, "P"),
                shard("B", false, "P"));
        Map<String, Lease> existing = table(lease("A", ExtendedSequenceNumber.TRIM_HORIZON, "P"),
                lease("B", ExtendedSequenceNumber.of("7", 0), "P"));
        assertEquals(List.of(), Lineage.leasesToCreate(shards, existing.keySet(), InitialPosition.trimHorizon()));
    }

    @Test
    void closedShardsThatPredateALatestApplicationStayUnleased() {
        Map<String, Lease> existing = table(lease("A", ExtendedSequenceNumber.LATEST),
                lease("B", ExtendedSequenceNumber.LATEST));
        assertEquals(List.of(), Lineage.leasesToCreate(SPLIT, existing.keySet(), InitialPosition.latest()));
    }

    @Test
    void aFinishedLeaseGoesOnlyWhenAllItsChildrenHaveLeases() {
        Lease p = lease("P", ExtendedSequenceNumber.SHARD_END);
        assertEquals(List.of(), Lineage.finishedLeasesToDelete(SPLIT, table(p,
                lease("A", ExtendedSequenceNumber.TRIM_HORIZON, "P"))), "B has no lease yet");
        assertEquals(List.of("P"), Lineage.finishedLeasesToDelete(SPLIT, table(p,
                lease("A", ExtendedSequenceNumber.TRIM_HORIZON, "P"), lease("B", ExtendedSequenceNumber.LATEST))));
        assertEquals(List.of(), Lineage.finishedLeasesToDelete(SPLIT, table(lease("P", ExtendedSequenceNumber.of(
                "5", 0)), lease("A", ExtendedSequenceNumber.TRIM_HORIZON, "P"),
                lease("B", ExtendedSequenceNumber.TRIM_HORIZON, "P"))), "P is not finished");
    }

    @Test
    void childrenRecordedAtShardEndCountEvenBeforeListShardsShowsThem() {
        Lease p = new Lease("P", null, 0, ExtendedSequenceNumber.SHARD_END, 0, Set.of(), Set.of("A", "B"), "0", "100",
                null);
        List<Shard> listedBeforeTheSplitShowed = List.of(shard("P", true));
        assertEquals(List.of(), Lineage.finishedLeasesToDelete(listedBeforeTheSplitShowed, table(p,
                lease("A", ExtendedSequenceNumber.TRIM_HORIZON, "P"))));
    }

    @Test
    void mergeParentsGoOneByOneAsTheirChildHasALease() {
        List<Shard> merge = List.of(shard("X", true), shard("Y", true), shard("M", false, "X", "Y"));
        Map<String, Lease> leases = table(lease("X", ExtendedSequenceNumber.SHARD_END),
                lease("Y", ExtendedSequenceNumber.of("3", 0)), lease("M", ExtendedSequenceNumber.TRIM_HORIZON, "X",
                        "Y"));
        assertEquals(List.of("X"), Lineage.finishedLeasesToDelete(merge, leases));
    }

    @Test
    void aFinishedShardWithoutChildrenGoesOnlyOnceItIsNoLongerListed() {
        Lease expired = lease("E", ExtendedSequenceNumber.SHARD_END);
        assertEquals(List.of(), Lineage.finishedLeasesToDelete(List.of(shard("E", true)), table(expired)));
        assertEquals(List.of("E"), Lineage.finishedLeasesToDelete(List.of(), table(expired)));
    }
}
