package io.purekinesis.consumer;

import java.math.BigInteger;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A position in a shard: a Kinesis sequence number plus the sub-sequence number of a user record inside an
 * aggregated Kinesis record (0 for a plain record). Stored in the lease table as {@code checkpoint} and
 * {@code checkpointSubSequenceNumber}, exactly as KCL stores it, including KCL's sentinel values
 * {@link #TRIM_HORIZON}, {@link #LATEST}, {@link #AT_TIMESTAMP} and {@link #SHARD_END}.
 */
public final class ExtendedSequenceNumber {

    /** Nothing processed yet; start from the oldest record. */
    public static final ExtendedSequenceNumber TRIM_HORIZON = new ExtendedSequenceNumber("TRIM_HORIZON", 0);
    /** Nothing processed yet; start from the newest record. */
    public static final ExtendedSequenceNumber LATEST = new ExtendedSequenceNumber("LATEST", 0);
    /** Nothing processed yet; start from the configured timestamp. */
    public static final ExtendedSequenceNumber AT_TIMESTAMP = new ExtendedSequenceNumber("AT_TIMESTAMP", 0);
    /** Every record of a closed shard has been processed; its children may start. */
    public static final ExtendedSequenceNumber SHARD_END = new ExtendedSequenceNumber("SHARD_END", 0);

    private final String sequenceNumber;
    private final long subSequenceNumber;

    private ExtendedSequenceNumber(String sequenceNumber, long subSequenceNumber) {
        this.sequenceNumber = sequenceNumber;
        this.subSequenceNumber = subSequenceNumber;
    }

    /** What Kinesis accepts as a starting sequence number. */
    private static final Pattern SEQUENCE_NUMBER = Pattern.compile("0|[1-9][0-9]{0,128}");

    /**
     * A real position, or a sentinel when {@code sequenceNumber} is one of the sentinel names.
     *
     * @throws IllegalArgumentException when the sequence number is neither a sentinel nor a decimal number as
     *                                  Kinesis writes them (no leading zeros, at most 129 digits), or the
     *                                  sub-sequence number is negative
     */
    public static ExtendedSequenceNumber of(String sequenceNumber, long subSequenceNumber) {
        Objects.requireNonNull(sequenceNumber, "sequenceNumber");
        for (ExtendedSequenceNumber sentinel : new ExtendedSequenceNumber[] {TRIM_HORIZON, LATEST, AT_TIMESTAMP,
                SHARD_END}) {
            if (sentinel.sequenceNumber.equals(sequenceNumber)) {
                return sentinel;
            }
        }
        // Kinesis refuses any other form in GetShardIterator, so a stored checkpoint like "0123" would block the
        // shard for every later owner
        if (!SEQUENCE_NUMBER.matcher(sequenceNumber).matches()) {
            throw new IllegalArgumentException("sequenceNumber must be a decimal number without leading zeros (at "
                    + "most 129 digits) or a sentinel (TRIM_HORIZON, LATEST, AT_TIMESTAMP, SHARD_END), was '"
                    + sequenceNumber + "'");
        }
        if (subSequenceNumber < 0) {
            throw new IllegalArgumentException("subSequenceNumber must be >= 0, was " + subSequenceNumber);
        }
        return new ExtendedSequenceNumber(sequenceNumber, subSequenceNumber);
    }

    /** The Kinesis record's sequence number, or a sentinel's name (TRIM_HORIZON, LATEST, AT_TIMESTAMP, SHARD_END). */
    public String sequenceNumber() {
        return sequenceNumber;
    }

    /** The user record's index inside its aggregate; 0 for a plain record or a sentinel. */
    public long subSequenceNumber() {
        return subSequenceNumber;
    }

    /** True for {@link #TRIM_HORIZON}, {@link #LATEST}, {@link #AT_TIMESTAMP} and {@link #SHARD_END}. */
    public boolean isSentinel() {
        return this == TRIM_HORIZON || this == LATEST || this == AT_TIMESTAMP || this == SHARD_END;
    }

    /** The sequence number as a number; only for positions that are not sentinels. */
    public BigInteger sequenceNumberValue() {
        if (isSentinel()) {
            throw new IllegalStateException(sequenceNumber + " is a sentinel, not a sequence number");
        }
        return new BigInteger(sequenceNumber);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ExtendedSequenceNumber)) {
            return false;
        }
        ExtendedSequenceNumber other = (ExtendedSequenceNumber) o;
        return subSequenceNumber == other.subSequenceNumber && sequenceNumber.equals(other.sequenceNumber);
    }

    @Override
    public int hashCode() {
        return sequenceNumber.hashCode() * 31 + Long.hashCode(subSequenceNumber);
    }

    @Override
    public String toString() {
        return isSentinel() ? sequenceNumber : sequenceNumber + "/" + subSequenceNumber;
    }
}
