package io.purekinesis.aggregation;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A shard's inclusive range of hash keys. After a reshard, a producer with a stale shard map may have
 * aggregated records for the parent's whole range into one Kinesis record; a consumer of a child shard
 * keeps only the user records whose hash key lies in the child's range ({@link #filter}).
 */
public final class HashKeyRange {

    private final BigInteger startingHashKey;
    private final BigInteger endingHashKey;

    private HashKeyRange(BigInteger startingHashKey, BigInteger endingHashKey) {
        this.startingHashKey = startingHashKey;
        this.endingHashKey = endingHashKey;
    }

    /** The whole hash-key space, as held by a stream's only shard. */
    public static HashKeyRange all() {
        return new HashKeyRange(BigInteger.ZERO, HashKeys.MAX_HASH_KEY);
    }

    /** @throws IllegalArgumentException when a bound lies outside [0, 2^128-1] or start > end */
    public static HashKeyRange of(BigInteger startingHashKey, BigInteger endingHashKey) {
        Objects.requireNonNull(startingHashKey, "startingHashKey");
        Objects.requireNonNull(endingHashKey, "endingHashKey");
        if (startingHashKey.signum() < 0 || endingHashKey.compareTo(HashKeys.MAX_HASH_KEY) > 0
                || startingHashKey.compareTo(endingHashKey) > 0) {
            throw new IllegalArgumentException("hash key range must satisfy 0 <= start <= end <= 2^128-1, was ["
                    + startingHashKey + ", " + endingHashKey + "]");
        }
        return new HashKeyRange(startingHashKey, endingHashKey);
    }

    /** Parses the decimal strings Kinesis returns in a shard's {@code HashKeyRange}. */
    public static HashKeyRange of(String startingHashKey, String endingHashKey) {
        return of(new BigInteger(startingHashKey), new BigInteger(endingHashKey));
    }

    /** The lowest hash key in the range, inclusive. */
    public BigInteger startingHashKey() {
        return startingHashKey;
    }

    /** The highest hash key in the range, inclusive. */
    public BigInteger endingHashKey() {
        return endingHashKey;
    }

    /**
     * True when {@code hashKey} lies in this range, bounds included.
     *
     * @throws NullPointerException if {@code hashKey} is null
     */
    public boolean contains(BigInteger hashKey) {
        return hashKey.compareTo(startingHashKey) >= 0 && hashKey.compareTo(endingHashKey) <= 0;
    }

    /** True when the record's effective hash key lies in this range. */
    public boolean contains(DecodedRecord record) {
        return contains(record.hashKey());
    }

    /** The records whose effective hash key lies in this range, in their original order. */
    public List<DecodedRecord> filter(List<DecodedRecord> records) {
        List<DecodedRecord> kept = new ArrayList<>(records.size());
        for (DecodedRecord record : records) {
            if (contains(record)) {
                kept.add(record);
            }
        }
        return kept;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HashKeyRange other
                && startingHashKey.equals(other.startingHashKey) && endingHashKey.equals(other.endingHashKey);
    }

    @Override
    public int hashCode() {
        return 31 * startingHashKey.hashCode() + endingHashKey.hashCode();
    }

    @Override
    public String toString() {
        return "[" + startingHashKey + ", " + endingHashKey + "]";
    }
}
