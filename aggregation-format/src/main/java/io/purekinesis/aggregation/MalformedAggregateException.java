package io.purekinesis.aggregation;

/**
 * A blob that starts with the aggregation magic bytes but is not a valid aggregated record.
 * {@link #reason()} says what is wrong, so callers can tell corruption from a producer bug.
 */
public final class MalformedAggregateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What is wrong with the aggregate. */
    public enum Reason {
        /** Fewer bytes than magic plus digest, or the protobuf body ends in the middle of a field. */
        TRUNCATED,
        /** The MD5 trailer does not match the protobuf body. */
        DIGEST_MISMATCH,
        /** The digest matches, but the body is not a valid {@code AggregatedRecord}. */
        INVALID_PROTOBUF,
        /** A record's {@code partition_key_index} points outside the partition-key table. */
        PARTITION_KEY_INDEX_OUT_OF_RANGE,
        /** A record's {@code explicit_hash_key_index} points outside the explicit-hash-key table. */
        EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE
    }

    /** What is wrong with the record. */
    private final Reason reason;

    MalformedAggregateException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    MalformedAggregateException(Reason reason, String message) {
        this(reason, message, null);
    }

    /** What is wrong with the record. */
    public Reason reason() {
        return reason;
    }
}
