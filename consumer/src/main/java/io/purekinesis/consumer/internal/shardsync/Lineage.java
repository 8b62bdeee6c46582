package io.purekinesis.consumer.internal.shardsync;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.lease.Lease;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * The lineage rules of shard sync, without I/O: which shards get a lease and where it starts, and which finished
 * leases may be deleted. A lease gates its children until it is at SHARD_END (see FleetRules); a parent with
 * no lease counts as finished, so these rules make sure a lease is missing only when its shard needs no reading.
 *
 * <ul>
 *   <li>Empty lease table, TRIM_HORIZON or AT_TIMESTAMP: every listed shard, open or closed, at that position, so
 *       the oldest ancestors are read first and the lineage is walked down.</li>
 *   <li>Empty lease table, LATEST: open shards only; closed shards have nothing after "now".</li>
 *   <li>Lease table in use: a listed shard without a lease gets one unless a descendant has a lease (then its
 *       own lease was deleted after it finished, or it was closed before this application started at LATEST);
 *       it starts at TRIM_HORIZON when it has a parent (every record of a child is newer than the application),
 *       else at the initial position.</li>
 *   <li>Parents are created before children, so no worker sees a child whose parent's lease is still to come.</li>
 *   <li>A SHARD_END lease may go once every child it had has a lease (the children carry the lineage from then
 *       on), or, with no children known, once its shard is no longer listed (expired past retention).</li>
 * </ul>
 */
final class Lineage {

    private Lineage() {
    }

    /**
     * New leases for listed shards without one, parents before children.
     *
     * @param existing keys of every lease row, including rows that cannot be used (they are never written over)
     */
    static List<Lease> leasesToCreate(List<Shard> shards, Set<String> existing, InitialPosition initial) {
        boolean fresh = existing.isEmpty();
        Map<String, List<String>> children = childrenOf(shards);
        List<Shard> ordered = parentsFirst(shards);
        Set<String> leasedOrLeasedBelow = new HashSet<>();
        // children come after parents in `ordered`: walking it backwards sees every descendant first
        for (int i = ordered.size() - 1; i >= 0; i--) {
            String id = ordered.get(i).shardId();
            if (existing.contains(id)) {
                leasedOrLeasedBelow.add(id);
            } else {
                for (String child : children.getOrDefault(id, List.of())) {
                    if (leasedOrLeasedBelow.contains(child)) {
                        leasedOrLeasedBelow.add(id);
                        break;
                    }
                }
            }
        }
        List<Lease> out = new ArrayList<>();
        for (Shard shard : ordered) {
            if (leasedOrLeasedBelow.contains(shard.shardId())) {
                continue;
            }
            Set<String> parents = parents(shard);
            ExtendedSequenceNumber start;
            if (fresh) {
                if (initial.sentinel() == ExtendedSequenceNumber.LATEST && isClosed(shard)) {
                    continue;
                }
                start = initial.sentinel();
            } else {
                start = parents.isEmpty() ? initial.sentinel() : ExtendedSequenceNumber.TRIM_HORIZON;
            }
            out.add(new Lease(shard.shardId(), null, 0, start, 0, parents, Set.of(),
                    shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey(), null));
        }
        return out;
    }

    /** SHARD_END leases whose lineage role has passed to their children's leases, or whose shard is gone. */
    static List<String> finishedLeasesToDelete(List<Shard> shards, Map<String, Lease> leases) {
        Set<String> listed = new HashSet<>();
        Map<String, Set<String>> children = new HashMap<>();
        for (Shard shard : shards) {
            listed.add(shard.shardId());
            for (String parent : parents(shard)) {
                children.computeIfAbsent(parent, k -> new HashSet<>()).add(shard.shardId());
            }
        }
        for (Lease lease : leases.values()) {
            for (String parent : lease.parentShardIds()) {
                children.computeIfAbsent(parent, k -> new HashSet<>()).add(lease.leaseKey());
            }
        }
        List<String> out = new ArrayList<>();
        for (Lease lease : leases.values()) {
            if (!lease.isCompleted()) {
                continue;
            }
            Set<String> known = new HashSet<>(lease.childShardIds());
            known.addAll(children.getOrDefault(lease.leaseKey(), Set.of()));
            boolean deletable = known.isEmpty() ? !listed.contains(lease.leaseKey())
                    : leases.keySet().containsAll(known);
            if (deletable) {
                out.add(lease.leaseKey());
            }
        }
        return out;
    }

    static Set<String> parents(Shard shard) {
        Set<String> out = new LinkedHashSet<>();
        if (shard.parentShardId() != null) {
            out.add(shard.parentShardId());
        }
        if (shard.adjacentParentShardId() != null) {
            out.add(shard.adjacentParentShardId());
        }
        return out;
    }

    private static boolean isClosed(Shard shard) {
        return shard.sequenceNumberRange() != null && shard.sequenceNumberRange().endingSequenceNumber() != null;
    }

    private static Map<String, List<String>> childrenOf(List<Shard> shards) {
        Map<String, List<String>> out = new HashMap<>();
        for (Shard shard : shards) {
            for (String parent : parents(shard)) {
                out.computeIfAbsent(parent, k -> new ArrayList<>()).add(shard.shardId());
            }
        }
        return out;
    }

    /** Listed shards ordered by their depth in the listed lineage (ties by id), so parents precede children. */
    private static List<Shard> parentsFirst(List<Shard> shards) {
        Map<String, Shard> byId = new HashMap<>();
        for (Shard shard : shards) {
            byId.put(shard.shardId(), shard);
        }
        Map<String, Integer> depth = new HashMap<>();
        for (Shard shard : shards) {
            depthOf(shard.shardId(), byId, depth);
        }
        List<Shard> out = new ArrayList<>(shards);
        out.sort(Comparator.comparingInt((Shard s) -> depth.get(s.shardId())).thenComparing(Shard::shardId));
        return out;
    }

    /** Iterative (an explicit stack), so a long chain of reshards cannot overflow the thread's stack. */
    private static void depthOf(String id, Map<String, Shard> byId, Map<String, Integer> depth) {
        Deque<String> stack = new ArrayDeque<>();
        stack.push(id);
        while (!stack.isEmpty()) {
            String current = stack.peek();
            if (depth.containsKey(current)) {
                stack.pop();
                continue;
            }
            String unknownParent = unknownListedParent(byId.get(current), byId, depth);
            if (unknownParent != null) {
                stack.push(unknownParent);
                continue;
            }
            int d = 0;
            for (String parent : parents(byId.get(current))) {
                if (depth.containsKey(parent)) {
                    d = Math.max(d, depth.get(parent) + 1);
                }
            }
            depth.put(current, d);
            stack.pop();
        }
    }

    /** A listed parent whose depth is still unknown, or null when all are known (or not listed). */
    private static String unknownListedParent(Shard shard, Map<String, Shard> byId, Map<String, Integer> depth) {
        for (String parent : parents(shard)) {
            if (byId.containsKey(parent) && !depth.containsKey(parent)) {
                return parent;
            }
        }
        return null;
    }
}
