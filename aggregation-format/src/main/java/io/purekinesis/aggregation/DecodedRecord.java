package io.purekinesis.aggregation;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Objects;

/**
 * One user record out of a Kinesis record: the record itself when it was not aggregated, or one entry of an
 * aggregate. Its position inside the Kinesis record is its sub-sequence number (0 for a plain record).
 */
public final class DecodedRecord {

    private final long subSequenceNumber;
    private final String partitionKey;
    private final String explicitHashKey;
    private final byte[] data;
    private final boolean aggregated;
    private BigInteger hashKey; // computed on first use: MD5 is the costly part of filtering

    DecodedRecord(long subSequenceNumber, String partitionKey, String explicitHashKey, byte[] data,
            boolean aggregated) {
        this.subSequenceNumber = subSequenceNumber;
        this.partitionKey = partitionKey;
        this.explicitHashKey = explicitHashKey;
        this.data = data;
        this.aggregated = aggregated;
    }

    /** 0-based position of this user record inside its Kinesis record; 0 for a plain record. */
    public long subSequenceNumber() {
        return subSequenceNumber;
    }

    /** The user record's partition key; null only for a plain record decoded without its Kinesis partition key. */
    public String partitionKey() {
        return partitionKey;
    }

    /** The explicit hash key the producer gave, or null. Kinesis does not return it for plain records. */
    public String explicitHashKey() {
        return explicitHashKey;
    }

    /** The user's data. The array is owned by this record: do not modify it. */
    public byte[] data() {
        return data;
    }

    /** True when this user record came out of an aggregate. */
    public boolean aggregated() {
        return aggregated;
    }

    /**
     * The effective hash key: the explicit hash key if present, else the MD5 of the partition key.
     *
     * @throws IllegalStateException for a plain record decoded without a partition key
     */
    public BigInteger hashKey() {
        BigInteger h = hashKey;
        if (h == null) {
            if (explicitHashKey == null && partitionKey == null) {
                throw new IllegalStateException("a plain record decoded without its partition key has no hash key");
            }
            h = HashKeys.effectiveHashKey(partitionKey, explicitHashKey);
            hashKey = h;
        }
        return h;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedRecord other
                && subSequenceNumber == other.subSequenceNumber
                && aggregated == other.aggregated
                && Objects.equals(partitionKey, other.partitionKey)
                && Objects.equals(explicitHashKey, other.explicitHashKey)
                && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(subSequenceNumber, partitionKey, explicitHashKey, aggregated) * 31 + Arrays.hashCode(data);
    }

    /** Never prints the data: it may be sensitive. */
    @Override
    public String toString() {
        return "DecodedRecord{subSequenceNumber=" + subSequenceNumber + ", partitionKey=" + partitionKey
                + (explicitHashKey != null ? ", explicitHashKey=" + explicitHashKey : "")
                + ", dataLength=" + data.length + ", aggregated=" + aggregated + "}";
    }
}
