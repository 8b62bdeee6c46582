package io.purekinesis.producer;

/** Why a record was not delivered. */
public enum FailureReason {
    /** Kinesis answered with an error that retrying cannot fix (validation, access, KMS, unknown stream). */
    NON_RETRYABLE_ERROR,
    /** The stream does not exist (ListShards answered ResourceNotFoundException). */
    STREAM_NOT_FOUND,
    /** {@link ProducerConfig#recordTtl()} passed before the record was stored. */
    TTL_EXPIRED,
    /** {@link ProducerConfig#maxAttempts()} attempts failed. */
    MAX_ATTEMPTS_EXHAUSTED,
    /** {@code close(timeout)} reached its deadline before the record was stored. */
    PRODUCER_CLOSED
}
