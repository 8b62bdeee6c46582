package io.purekinesis.consumer.internal.lease;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Decides which leases a worker takes in one scan, as KCL's lease taker does: a worker aims at
 * {@code ceil(leases / workers)} leases (workers = distinct owners of unexpired leases, plus itself), first from
 * unowned and expired leases; only when there are none does it steal, from the most loaded worker, at most
 * {@code maxLeasesToStealAtOneTime} and only when that does not simply move the imbalance (no thrashing).
 * Completed (SHARD_END) leases and leases whose parents are not completed are not assigned. Pure: no I/O.
 */
public final class LeaseBalancer {

    /** What to take and what to steal this cycle. */
    public record Plan(List<Lease> take, List<Lease> steal, int target, int workers) {
        public boolean isEmpty() {
            return take.isEmpty() && steal.isEmpty();
        }
    }

    private LeaseBalancer() {
    }

    /**
     * @param all       every shard lease in the table
     * @param isExpired whether an owned lease's counter has not moved for the failover time
     */
    public static Plan plan(List<Lease> all, Predicate<Lease> isExpired, String workerId, int maxSteal,
            Random random) {
        return plan(all, Set.of(), isExpired, l -> true, workerId, maxSteal, random);
    }

    /**
     * @param all        every shard lease in the table
     * @param unusable   keys of rows that exist but cannot be used (unreadable, another stream's): never assigned,
     *                   and, as parents, not completed, so their children wait
     * @param isExpired  whether an owned lease's counter has not moved for the failover time; must be false for
     *                   the leases the worker holds (it would otherwise take them a second time)
     * @param provenLive whether an owned lease was seen renewed: only such leases are stolen, so a worker that just
     *                   started does not steal (and wait for a handoff) from an owner that may be dead
     */
    public static Plan plan(List<Lease> all, Set<String> unusable, Predicate<Lease> isExpired,
            Predicate<Lease> provenLive, String workerId, int maxSteal, Random random) {
        Map<String, Lease> byKey = all.stream().collect(Collectors.toMap(Lease::leaseKey, l -> l, (a, b) -> a));
        List<Lease> assignable = all.stream()
                .filter(l -> !l.isCompleted() && parentsCompleted(l, byKey, unusable))
                .collect(Collectors.toList());
        Map<String, Integer> counts = new HashMap<>();
        counts.put(workerId, 0);
        List<Lease> available = new ArrayList<>();
        for (Lease l : assignable) {
            boolean live = l.isOwned() && !isExpired.test(l);
            if (live) {
                counts.merge(l.leaseOwner(), 1, Integer::sum);
            } else {
                // unowned or expired, including an expired lease still naming this worker: the caller passes
                // isExpired false for leases it holds, so this is a lease it lost or had before a restart
                available.add(l);
            }
        }
        int workers = counts.size();
        int target = assignable.isEmpty() ? 0 : (assignable.size() + workers - 1) / workers;
        int mine = counts.get(workerId);
        int needed = target - mine;
        if (needed <= 0) {
            return new Plan(List.of(), List.of(), target, workers);
        }
        if (!available.isEmpty()) {
            Collections.shuffle(available, random);
            return new Plan(List.copyOf(available.subList(0, Math.min(needed, available.size()))), List.of(),
                    target, workers);
        }
        String mostLoaded = null;
        int most = -1;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (!e.getKey().equals(workerId) && e.getValue() > most) {
                mostLoaded = e.getKey();
                most = e.getValue();
            }
        }
        int toSteal;
        if (mostLoaded == null) {
            toSteal = 0;
        } else if (most > target) {
            toSteal = Math.min(needed, most - target);
        } else if (most == target && needed > 1) {
            toSteal = 1; // I am at least two below target: moving one lease does not just swap the imbalance
        } else {
            toSteal = 0;
        }
        toSteal = Math.min(toSteal, maxSteal);
        if (toSteal == 0) {
            return new Plan(List.of(), List.of(), target, workers);
        }
        String victim = mostLoaded;
        List<Lease> candidates = assignable.stream()
                .filter(l -> l.isOwnedBy(victim) && !l.isHandoffPending() && !isExpired.test(l)
                        && provenLive.test(l))
                .collect(Collectors.toList());
        Collections.shuffle(candidates, random);
        return new Plan(List.of(), List.copyOf(candidates.subList(0, Math.min(toSteal, candidates.size()))),
                target, workers);
    }

    /**
     * A parent whose lease is gone counts as completed (as in KCL, where finished leases are cleaned up); one whose
     * row exists but cannot be read does not: nobody can tell whether it was read to its end.
     */
    static boolean parentsCompleted(Lease lease, Map<String, Lease> byKey, Set<String> unusable) {
        Set<String> parents = lease.parentShardIds();
        for (String parent : parents) {
            Lease p = byKey.get(parent);
            if (unusable.contains(parent) || p != null && !p.isCompleted()) {
                return false;
            }
        }
        return true;
    }
}
