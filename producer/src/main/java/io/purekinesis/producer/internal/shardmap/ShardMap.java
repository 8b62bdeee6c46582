package io.purekinesis.producer.internal.shardmap;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.producer.internal.HashKey128;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * An immutable snapshot of a stream's open shards (those without an {@code EndingSequenceNumber}), sorted by
 * starting hash key, for binary-search lookup of the shard a hash key belongs to.
 */
public final class ShardMap {

    private final String[] shardIds;
    private final BigInteger[] starts;
    private final BigInteger[] ends;
    private final long[] startHi;
    private final long[] startLo;
    private final long[] endHi;
    private final long[] endLo;
    private final long version;

    private ShardMap(List<Shard> open, long version) {
        int n = open.size();
        shardIds = new String[n];
        starts = new BigInteger[n];
        ends = new BigInteger[n];
        startHi = new long[n];
        startLo = new long[n];
        endHi = new long[n];
        endLo = new long[n];
        for (int i = 0; i < n; i++) {
            Shard s = open.get(i);
            shardIds[i] = s.shardId();
            starts[i] = new BigInteger(s.hashKeyRange().startingHashKey());
            ends[i] = new BigInteger(s.hashKeyRange().endingHashKey());
            startHi[i] = HashKey128.hi(starts[i]);
            startLo[i] = HashKey128.lo(starts[i]);
            endHi[i] = HashKey128.hi(ends[i]);
            endLo[i] = HashKey128.lo(ends[i]);
        }
        this.version = version;
    }

    /** Keeps the open shards of {@code shards} (as ListShards returns them) and sorts them by range. */
    public static ShardMap of(List<Shard> shards, long version) {
        List<Shard> open = new ArrayList<>(shards.size());
        for (Shard s : shards) {
            if (s.sequenceNumberRange() == null || s.sequenceNumberRange().endingSequenceNumber() == null) {
                open.add(s);
            }
        }
        open.sort(Comparator.comparing(s -> new BigInteger(s.hashKeyRange().startingHashKey())));
        return new ShardMap(open, version);
    }

    /** Increases with every load, so a newer map can be told from an older one. */
    public long version() {
        return version;
    }

    public int size() {
        return shardIds.length;
    }

    public boolean isEmpty() {
        return shardIds.length == 0;
    }

    /** The open shard whose range holds {@code hashKey}; null when none does (no open shards, or a gap). */
    public String shardFor(BigInteger hashKey) {
        return shardFor(HashKey128.hi(hashKey), HashKey128.lo(hashKey));
    }

    /** {@link #shardFor(BigInteger)} for a key given as two unsigned halves; allocation-free binary search. */
    public String shardFor(long hashHi, long hashLo) {
        int lo = 0;
        int hi = shardIds.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (HashKey128.compare(startHi[mid], startLo[mid], hashHi, hashLo) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0 || HashKey128.compare(endHi[found], endLo[found], hashHi, hashLo) < 0) {
            return null;
        }
        return shardIds[found];
    }

    /** The range of an open shard, or null when the shard is not open in this map. */
    public HashKeyRange rangeOf(String shardId) {
        for (int i = 0; i < shardIds.length; i++) {
            if (shardIds[i].equals(shardId)) {
                return HashKeyRange.of(starts[i], ends[i]);
            }
        }
        return null;
    }

    public List<String> shardIds() {
        return List.of(shardIds);
    }

    /**
     * After a reshard: each shard of this map that {@code previous} did not have, with the {@code closed} shards of
     * {@code previous} whose ranges overlap it (a closed shard {@code previous} does not know overlaps every new
     * one). A reader of a child reads it after its parents, so the parents' records must be stored first.
     */
    public Map<String, List<String>> parentsOf(ShardMap previous, Collection<String> closed) {
        Set<String> before = new HashSet<>(previous.shardIds());
        Map<String, List<String>> parentsOf = new HashMap<>();
        for (String child : shardIds) {
            if (before.contains(child)) {
                continue;
            }
            HashKeyRange c = rangeOf(child);
            List<String> parents = new ArrayList<>(2);
            for (String p : closed) {
                HashKeyRange r = previous.rangeOf(p);
                if (r == null || overlaps(r, c)) {
                    parents.add(p);
                }
            }
            parentsOf.put(child, parents);
        }
        return parentsOf;
    }

    private static boolean overlaps(HashKeyRange a, HashKeyRange b) {
        return a.startingHashKey().compareTo(b.endingHashKey()) <= 0
                && b.startingHashKey().compareTo(a.endingHashKey()) <= 0;
    }

    @Override
    public String toString() {
        return "ShardMap[v" + version + ", " + shardIds.length + " open shards]";
    }
}
