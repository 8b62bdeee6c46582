package io.purekinesis.producer;

import java.util.List;

/**
 * Completes a record's future when the record will not be stored: it carries the last Kinesis error code and
 * message (null when the failure was not an answer from Kinesis) and every attempt made. No stack trace is
 * captured: these are expected, possibly frequent, outcomes.
 */
public class RecordFailedException extends KinesisProducerException {

    private static final long serialVersionUID = 1L;

    /** See {@link #reason()}. */
    private final FailureReason reason;
    /** See {@link #errorCode()}. */
    private final String errorCode;
    /** See {@link #errorMessage()}. */
    private final String errorMessage;
    private final transient List<Attempt> attempts;

    /** Thrown by the producer (through a record's future); public for tests of callbacks. */
    public RecordFailedException(FailureReason reason, String errorCode, String errorMessage, List<Attempt> attempts,
            Throwable cause) {
        super(describe(reason, errorCode, errorMessage, attempts), cause, false);
        this.reason = reason;
        this.errorCode = errorCode;
        this.errorMessage = errorMessage;
        this.attempts = List.copyOf(attempts);
    }

    /** Why the record failed. */
    public FailureReason reason() {
        return reason;
    }

    /** The last Kinesis {@code ErrorCode} or exception error code, or null. */
    public String errorCode() {
        return errorCode;
    }

    /** The last error's message, or null. */
    public String errorMessage() {
        return errorMessage;
    }

    /** Every PutRecords attempt that carried the record, oldest first; may be empty. */
    public List<Attempt> attempts() {
        return attempts;
    }

    private static String describe(FailureReason reason, String errorCode, String errorMessage,
            List<Attempt> attempts) {
        StringBuilder s = new StringBuilder("record not delivered (").append(reason).append(") after ")
                .append(attempts.size()).append(attempts.size() == 1 ? " attempt" : " attempts");
        if (errorCode != null || errorMessage != null) {
            s.append("; last error ").append(errorCode).append(": ").append(errorMessage);
        }
        return s.toString();
    }
}
