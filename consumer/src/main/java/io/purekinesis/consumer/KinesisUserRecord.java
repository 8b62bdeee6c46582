package io.purekinesis.consumer;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One user record as the producer added it: a plain Kinesis record, or one entry of a KPL-aggregated Kinesis
 * record. All user records of one aggregate share the Kinesis record's sequence number and arrival time and
 * differ in their sub-sequence number (0-based position in the aggregate; 0 for a plain record).
 */
public final class KinesisUserRecord {

    private final String partitionKey;
    private final String explicitHashKey;
    private final byte[] data;
    private final Instant approximateArrivalTimestamp;
    private final String sequenceNumber;
    private final long subSequenceNumber;
    private final boolean aggregated;

    /**
     * Builds a record; the consumer creates these, tests and dead-letter handlers may too. {@code data} is not
     * copied.
     */
    public KinesisUserRecord(String partitionKey, String explicitHashKey, byte[] data,
            Instant approximateArrivalTimestamp, String sequenceNumber, long subSequenceNumber, boolean aggregated) {
        this.partitionKey = Objects.requireNonNull(partitionKey, "partitionKey");
        this.explicitHashKey = explicitHashKey;
        this.data = Objects.requireNonNull(data, "data");
        this.approximateArrivalTimestamp = approximateArrivalTimestamp;
        this.sequenceNumber = Objects.requireNonNull(sequenceNumber, "sequenceNumber");
        this.subSequenceNumber = subSequenceNumber;
        this.aggregated = aggregated;
    }

    /** The user record's partition key. */
    public String partitionKey() {
        return partitionKey;
    }

    /** The explicit hash key the producer gave, when it was stored inside an aggregate. */
    public Optional<String> explicitHashKey() {
        return Optional.ofNullable(explicitHashKey);
    }

    /** The user data, read-only. */
    public ByteBuffer data() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** A copy of the user data. */
    public byte[] dataBytes() {
        return data.clone();
    }

    /** The data's length in bytes, without copying it. */
    public int dataLength() {
        return data.length;
    }

    /** When Kinesis accepted the (aggregated) Kinesis record; may be null for records built by hand. */
    public Instant approximateArrivalTimestamp() {
        return approximateArrivalTimestamp;
    }

    /** The sequence number of the Kinesis record holding it (shared by the records of an aggregate). */
    public String sequenceNumber() {
        return sequenceNumber;
    }

    /** The record's index inside its aggregate; 0 for a plain record. */
    public long subSequenceNumber() {
        return subSequenceNumber;
    }

    /** True when the record came out of a KPL-aggregated Kinesis record. */
    public boolean aggregated() {
        return aggregated;
    }

    /** Sequence and sub-sequence number together: the position to checkpoint. */
    public ExtendedSequenceNumber extendedSequenceNumber() {
        return ExtendedSequenceNumber.of(sequenceNumber, subSequenceNumber);
    }

    /** Position and sizes only: record data never goes into logs. */
    @Override
    public String toString() {
        return "KinesisUserRecord{" + sequenceNumber + "/" + subSequenceNumber + ", partitionKey=" + partitionKey
                + ", " + data.length + " bytes}";
    }
}
