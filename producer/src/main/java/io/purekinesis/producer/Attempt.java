package io.purekinesis.producer;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One PutRecords attempt that carried a record: when it started, how long it took, and Kinesis' answer for the
 * record's entry (or the whole call's error).
 */
public final class Attempt {

    private final Instant timestamp;
    private final Duration duration;
    private final boolean success;
    private final String errorCode;
    private final String errorMessage;

    /**
     * Built by the producer; public so that tests can make one.
     *
     * @throws NullPointerException if {@code timestamp} or {@code duration} is null
     */
    public Attempt(Instant timestamp, Duration duration, boolean success, String errorCode, String errorMessage) {
        this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
        this.duration = Objects.requireNonNull(duration, "duration");
        this.success = success;
        this.errorCode = errorCode;
        this.errorMessage = errorMessage;
    }

    /** When the PutRecords call was sent. */
    public Instant timestamp() {
        return timestamp;
    }

    /** From sending the call to its answer (or failure). */
    public Duration duration() {
        return duration;
    }

    /** Whether Kinesis stored the record's entry in this attempt. */
    public boolean success() {
        return success;
    }

    /** Kinesis' {@code ErrorCode} for the entry, the whole call's error code, or null on success. */
    public String errorCode() {
        return errorCode;
    }

    /** Kinesis' {@code ErrorMessage} for the entry, the whole call's error message, or null on success. */
    public String errorMessage() {
        return errorMessage;
    }

    @Override
    public String toString() {
        return success ? "Attempt[" + timestamp + ", " + duration.toMillis() + " ms, ok]"
                : "Attempt[" + timestamp + ", " + duration.toMillis() + " ms, " + errorCode + ": " + errorMessage + "]";
    }
}
