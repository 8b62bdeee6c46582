package io.purekinesis.producer;

/** Why a record was not delivered. */
public enum FailureReason {
    /** Kinesis answered with an error that retrying cannot fix (validation, KMS key state, ...). */
    NON_RETRYABLE_ERROR,
    /** The stream does not exist (ListShards or PutRecords answered ResourceNotFoundException). */
    STREAM_NOT_FOUND,
    /**
     * Kinesis refused the caller, or no credentials could be loaded: AccessDenied, UnrecognizedClient, a bad or
     * expired signature or token, KMSAccessDenied, or a credentials provider that failed. Not retried: the
     * message names the stream and what to change (credentials provider, IAM or key policy).
     */
    NOT_AUTHORIZED,
    /** {@link ProducerConfig#recordTtl()} passed before the record was stored. */
    TTL_EXPIRED,
    /** {@link ProducerConfig#maxAttempts()} attempts failed. */
    MAX_ATTEMPTS_EXHAUSTED,
    /** {@code close(timeout)} reached its deadline before the record was stored. */
    PRODUCER_CLOSED
}
