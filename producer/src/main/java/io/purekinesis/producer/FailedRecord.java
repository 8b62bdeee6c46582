package io.purekinesis.producer;

import java.util.List;
import java.util.Objects;

/**
 * A user record that was not delivered, as handed to the {@link DeadLetterHandler} and returned by
 * {@link KinesisProducer#close(java.time.Duration)}: everything needed to resend or store it elsewhere.
 */
public final class FailedRecord {

    private final String stream;
    private final String partitionKey;
    private final String explicitHashKey;
    private final byte[] data;
    private final List<Attempt> attempts;
    private final FailureReason reason;
    private final String lastErrorCode;
    private final String lastErrorMessage;

    /**
     * Built by the producer; public so that tests of a {@link DeadLetterHandler} can make one. {@code attempts} is
     * copied.
     *
     * @throws NullPointerException if {@code stream}, {@code partitionKey}, {@code attempts} or {@code reason} is
     *         null
     */
    public FailedRecord(String stream, String partitionKey, String explicitHashKey, byte[] data,
            List<Attempt> attempts, FailureReason reason, String lastErrorCode, String lastErrorMessage) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.partitionKey = Objects.requireNonNull(partitionKey, "partitionKey");
        this.explicitHashKey = explicitHashKey;
        this.data = data;
        this.attempts = List.copyOf(attempts);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.lastErrorCode = lastErrorCode;
        this.lastErrorMessage = lastErrorMessage;
    }

    /** The stream the record was added to, as given to {@code add} (a name or an ARN). */
    public String stream() {
        return stream;
    }

    /** The record's partition key. */
    public String partitionKey() {
        return partitionKey;
    }

    /** The explicit hash key the user gave, or null. */
    public String explicitHashKey() {
        return explicitHashKey;
    }

    /**
     * The record's data: the array passed to {@code add}, or, when the record had been packed into an aggregate,
     * an equal copy decoded from it. Null only when that copy could not be decoded (then
     * {@link #lastErrorMessage()} says why): the record is reported all the same, without its data.
     */
    public byte[] data() {
        return data;
    }

    /** Every PutRecords attempt that carried the record, oldest first; empty if it was never sent. Unmodifiable. */
    public List<Attempt> attempts() {
        return attempts;
    }

    /** Why the record was not delivered. */
    public FailureReason reason() {
        return reason;
    }

    /** The last error code (Kinesis' {@code ErrorCode}, or the SDK's for a failed call), or null if there was none. */
    public String lastErrorCode() {
        return lastErrorCode;
    }

    /** The last error's message, naming what to change when it is not transient; or null. */
    public String lastErrorMessage() {
        return lastErrorMessage;
    }

    /** Describes the record without its data. */
    @Override
    public String toString() {
        return "FailedRecord[stream=" + stream + ", partitionKey=" + partitionKey + ", dataLength="
                + (data == null ? "unknown (data lost)" : data.length)
                + ", reason=" + reason + ", attempts=" + attempts.size() + ", lastError=" + lastErrorCode + ": "
                + lastErrorMessage + "]";
    }
}
