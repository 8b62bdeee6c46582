package io.purekinesis.producer;

import java.util.List;

/**
 * Completes a record's future when its {@link ProducerConfig#recordTtl() time to live} or its
 * {@link ProducerConfig#maxAttempts() attempts} ran out before Kinesis stored it.
 */
public class RecordExpiredException extends RecordFailedException {

    private static final long serialVersionUID = 1L;

    /** Thrown by the producer (through a record's future). */
    public RecordExpiredException(FailureReason reason, String errorCode, String errorMessage,
            List<Attempt> attempts) {
        super(reason, errorCode, errorMessage, attempts, null);
    }

    /** @param cause why the record could not even be reported normally (e.g. its data could not be restored) */
    public RecordExpiredException(FailureReason reason, String errorCode, String errorMessage,
            List<Attempt> attempts, Throwable cause) {
        super(reason, errorCode, errorMessage, attempts, cause);
    }
}
