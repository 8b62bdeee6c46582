package io.purekinesis.consumer.internal.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

class FleetRulesTest {

    // ---- the slot rule ----

    @Test
    void everySlotHasExactlyOnePollerAndEachWorkerPollsOncePerRound() {
        List<String> view = List.of("w3", "w1", "w2", "w4");
        Map<String, Integer> polls = new HashMap<>();
        for (long slot = 1_000; slot < 1_000 + 4 * 25; slot++) {
            long s = slot;
            List<String> pollers = view.stream().filter(w -> FleetRules.isMySlot(s, view, w)).toList();
            assertEquals(1, pollers.size(), "slot " + slot + ": " + pollers);
            polls.merge(pollers.get(0), 1, Integer::sum);
        }
        assertEquals(Map.of("w1", 25, "w2", 25, "w3", 25, "w4", 25), polls,
                "the fleet reads the table once per slot, whatever its size");
    }

    @Test
    void aWorkerNotInItsViewYetPollsToSeeTheFleet() {
        assertTrue(FleetRules.isMySlot(7, List.of("a", "b"), "new"));
    }

    @Test
    void theLeaderIsTheLowestLiveId() {
        assertEquals("a", FleetRules.leader(List.of("c", "a", "b")));
        assertEquals(null, FleetRules.leader(List.of()));
    }

    @Test
    void slotsFollowTheWallClock() {
        assertEquals(0, FleetRules.slot(999, 1000));
        assertEquals(1, FleetRules.slot(1000, 1000));
    }

    // ---- the balancing rule ----

    @Test
    void aJoinerTakesItsShareFromTheMostLoadedOnItsFirstPoll() {
        assertEquals(Map.of("a", 4), FleetRules.pulls("b", Map.of("a", 8, "b", 0), 100));
        assertEquals(Map.of("a", 3, "b", 1), FleetRules.pulls("c", Map.of("a", 7, "b", 6, "c", 0), 100),
                "7, 6, 0 become 4, 5, 4");
    }

    @Test
    void nothingMovesWhenEveryPeerIsWithinOneLease() {
        assertEquals(Map.of(), FleetRules.pulls("b", Map.of("a", 5, "b", 4), 100));
        assertEquals(Map.of(), FleetRules.pulls("a", Map.of("a", 5, "b", 4), 100), "the loaded one never pushes");
        assertEquals(Map.of(), FleetRules.pulls("c", Map.of("a", 5, "b", 5, "c", 4), 100));
    }

    @Test
    void atMostMaxMovesPerPoll() {
        assertEquals(Map.of("a", 2), FleetRules.pulls("b", Map.of("a", 8, "b", 0), 2));
    }

    @Test
    void aJoinerOfALargeFleetTakesOneLeaseFromEachOfManyPeersInOnePoll() {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 100; i++) {
            counts.put(String.format("w%03d", i), 100);
        }
        counts.put("zz-new", 0);
        Map<String, Integer> pulls = FleetRules.pulls("zz-new", counts, 10_000);
        assertEquals(99, pulls.values().stream().mapToInt(Integer::intValue).sum());
        assertTrue(pulls.values().stream().allMatch(n -> n == 1), "one from each: " + pulls);
    }

    @Test
    void leastLoadedSpreadsNewLeasesEvenly() {
        Map<String, Integer> counts = new HashMap<>(Map.of("a", 3, "b", 1, "c", 1));
        List<String> owners = FleetRules.leastLoaded(5, counts);
        assertEquals(List.of("b", "c", "b", "c", "a"), owners);
        assertEquals(Map.of("a", 4, "b", 3, "c", 3), counts);
        assertEquals(List.of(), FleetRules.leastLoaded(3, new HashMap<>()), "nobody to give them to");
    }

    /** A fleet of lease ids per worker; pulls move real leases, so a lease moved twice is seen. */
    private static final class Fleet {
        final Map<String, Deque<Integer>> leases = new TreeMap<>();
        final Map<Integer, Integer> moves = new HashMap<>();
        int totalMoves;

        Map<String, Integer> counts() {
            Map<String, Integer> c = new LinkedHashMap<>();
            leases.forEach((w, l) -> c.put(w, l.size()));
            return c;
        }

        long squares() {
            return leases.values().stream().mapToLong(l -> (long) l.size() * l.size()).sum();
        }

        /** One poll of {@code me}: the sum of squared counts must fall with each move. */
        boolean poll(String me, int maxMoves) {
            Map<String, Integer> pulls = FleetRules.pulls(me, counts(), maxMoves);
            for (Map.Entry<String, Integer> p : pulls.entrySet()) {
                for (int i = 0; i < p.getValue(); i++) {
                    long before = squares();
                    int lease = leases.get(p.getKey()).pollLast();
                    leases.get(me).addLast(lease);
                    moves.merge(lease, 1, Integer::sum);
                    totalMoves++;
                    assertTrue(squares() <= before - 2, "a move that does not reduce the imbalance");
                }
            }
            return !pulls.isEmpty();
        }

        int spread() {
            return leases.values().stream().mapToInt(Deque::size).max().orElse(0)
                    - leases.values().stream().mapToInt(Deque::size).min().orElse(0);
        }
    }

    @Test
    void afterAJoinOneRoundBalancesTheFleetAndNoLeaseMovesTwice() {
        Fleet f = new Fleet();
        int id = 0;
        for (String w : List.of("a", "b", "c")) {
            Deque<Integer> l = new ArrayDeque<>();
            for (int i = 0; i < 7; i++) {
                l.add(id++);
            }
            f.leases.put(w, l);
        }
        f.leases.put("d", new ArrayDeque<>());
        for (String w : List.of("a", "b", "c", "d")) { // one round, in slot order
            f.poll(w, 100);
        }
        assertTrue(f.spread() <= 1, "balanced after one round: " + f.counts());
        assertTrue(f.moves.values().stream().allMatch(n -> n == 1), "a lease moved twice: " + f.moves);
        assertEquals(5, f.totalMoves, "only what the joiner needed: " + f.counts());
        for (String w : List.of("a", "b", "c", "d")) {
            assertTrue(!f.poll(w, 100), "another round moves nothing (no ping-pong)");
        }
    }

    @Test
    void fromAnySplitAndAnyPollOrderMovesStopWithinOneLeaseAndNeverUndoEachOther() {
        Random random = new Random(17);
        for (int trial = 0; trial < 500; trial++) {
            Fleet f = new Fleet();
            int workers = 2 + random.nextInt(9);
            int id = 0;
            for (int w = 0; w < workers; w++) {
                Deque<Integer> l = new ArrayDeque<>();
                int n = random.nextInt(30);
                for (int i = 0; i < n; i++) {
                    l.add(id++);
                }
                f.leases.put("w" + w, l);
            }
            List<String> ids = new ArrayList<>(f.leases.keySet());
            int polls = 0;
            int quiet = 0;
            while (quiet < ids.size()) { // until a whole round of polls moves nothing
                boolean moved = f.poll(ids.get(random.nextInt(ids.size())), 1 + random.nextInt(5));
                quiet = moved ? 0 : quiet + 1;
                if (!moved) {
                    // a quiet poll by a random worker proves little: check every worker once
                    quiet = ids.stream().anyMatch(w -> !FleetRules.pulls(w, f.counts(), 1).isEmpty()) ? 0
                            : ids.size();
                }
                assertTrue(++polls < 10_000, "no convergence: " + f.counts());
            }
            assertTrue(f.spread() <= 1, "stopped unbalanced: " + f.counts());
        }
    }
}
