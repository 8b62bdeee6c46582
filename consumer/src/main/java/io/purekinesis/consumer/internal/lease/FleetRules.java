package io.purekinesis.consumer.internal.lease;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet's rules, without I/O.
 *
 * <p><b>Slot rule.</b> Time is cut into monitor slots ({@code floor(wallMillis / monitorInterval)}); the live
 * workers, sorted by id, take them in turn: the worker of rank r polls the worker table in the slots where
 * {@code slot mod W == r}. So the fleet reads the table once per slot whatever its size W. Workers whose views
 * differ for a moment may both poll a slot, or none may: that costs a read, or delays one by a slot.
 *
 * <p><b>Balancing rule.</b> A worker only ever pulls leases towards itself, one at a time from the currently most
 * loaded worker, and only while that worker holds at least two more than it does: each move lowers the sum of
 * squared counts by at least 2, so moves cannot undo each other (no ping-pong), and the fleet stops moving once
 * every worker is within one lease of every other. A worker with W - 1 peers above it by one takes nothing.
 */
public final class FleetRules {

    private FleetRules() {
    }

    /** The slot of {@code wallMillis}. */
    static long slot(long wallMillis, long monitorMillis) {
        return Math.floorDiv(wallMillis, monitorMillis);
    }

    /** True when {@code me} (one of {@code liveIds}, sorted or not) polls in {@code slot}. */
    public static boolean isMySlot(long slot, List<String> liveIds, String me) {
        List<String> sorted = liveIds.stream().sorted().distinct().toList();
        int rank = sorted.indexOf(me);
        if (rank < 0) {
            return true; // not in the view yet: a worker that just joined polls to see the fleet
        }
        return Math.floorMod(slot, sorted.size()) == rank;
    }

    /** The leader: the lowest live id; null for an empty view. */
    public static String leader(List<String> liveIds) {
        return liveIds.stream().sorted().findFirst().orElse(null);
    }

    /**
     * How many leases {@code me} takes from each peer this poll, most loaded first, at most {@code maxMoves} in
     * all; empty when balanced (every peer within one lease of {@code me}, or below it).
     *
     * @param counts leases per live worker, including {@code me}
     */
    public static Map<String, Integer> pulls(String me, Map<String, Integer> counts, int maxMoves) {
        TreeMap<String, Integer> left = new TreeMap<>(counts);
        left.putIfAbsent(me, 0);
        Map<String, Integer> pulls = new LinkedHashMap<>();
        for (int moved = 0; moved < maxMoves; moved++) {
            String victim = null;
            int most = Integer.MIN_VALUE;
            for (Map.Entry<String, Integer> e : left.entrySet()) { // ties: the lowest id, so pollers agree
                if (!e.getKey().equals(me) && e.getValue() > most) {
                    victim = e.getKey();
                    most = e.getValue();
                }
            }
            int mine = left.get(me);
            if (victim == null || most - mine < 2) {
                break;
            }
            left.put(victim, most - 1);
            left.put(me, mine + 1);
            pulls.merge(victim, 1, Integer::sum);
        }
        return pulls;
    }

    /**
     * Owners for {@code n} leases: each to the currently least loaded of {@code counts} (ties: the lowest id),
     * counting the ones given before; {@code counts} is updated.
     */
    public static List<String> leastLoaded(int n, Map<String, Integer> counts) {
        List<String> owners = new ArrayList<>();
        if (counts.isEmpty()) {
            return owners;
        }
        TreeMap<String, Integer> sorted = new TreeMap<>(counts);
        for (int i = 0; i < n; i++) {
            String min = null;
            int least = Integer.MAX_VALUE;
            for (Map.Entry<String, Integer> e : sorted.entrySet()) {
                if (e.getValue() < least) {
                    min = e.getKey();
                    least = e.getValue();
                }
            }
            sorted.put(min, least + 1);
            owners.add(min);
        }
        counts.putAll(sorted);
        return owners;
    }
}
