package io.purekinesis.producer;

import java.util.List;
import java.util.Objects;

/**
 * Where Kinesis stored a user record: the shard, the sequence number of the Kinesis record that holds it, and
 * its position inside that record ({@code subSequenceNumber}: 0 for a plain record, the 0-based index inside an
 * aggregated one), with every attempt made.
 */
public final class RecordResult {

    private final String shardId;
    private final String sequenceNumber;
    private final long subSequenceNumber;
    private final boolean aggregated;
    private final List<Attempt> attempts;

    /** Built by the producer; public so that tests can make one. */
    public RecordResult(String shardId, String sequenceNumber, long subSequenceNumber, boolean aggregated,
            List<Attempt> attempts) {
        this.shardId = Objects.requireNonNull(shardId, "shardId");
        this.sequenceNumber = Objects.requireNonNull(sequenceNumber, "sequenceNumber");
        this.subSequenceNumber = subSequenceNumber;
        this.aggregated = aggregated;
        this.attempts = List.copyOf(attempts);
    }

    /** The shard the record was stored in. */
    public String shardId() {
        return shardId;
    }

    /** The sequence number Kinesis gave the (possibly aggregated) Kinesis record. */
    public String sequenceNumber() {
        return sequenceNumber;
    }

    /** The record's index inside its aggregate; 0 for a plain record. */
    public long subSequenceNumber() {
        return subSequenceNumber;
    }

    /** True when the record was stored inside an aggregated Kinesis record. */
    public boolean aggregated() {
        return aggregated;
    }

    /** Every attempt, oldest first; the last one succeeded. */
    public List<Attempt> attempts() {
        return attempts;
    }

    @Override
    public String toString() {
        return "RecordResult[" + shardId + ", " + sequenceNumber + "/" + subSequenceNumber + ", attempts="
                + attempts.size() + "]";
    }
}
