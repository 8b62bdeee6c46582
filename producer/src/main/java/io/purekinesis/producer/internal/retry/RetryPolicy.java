package io.purekinesis.producer.internal.retry;

import io.purekinesis.internal.aws.AwsErrors;
import io.purekinesis.producer.FailureReason;

/**
 * Which failures are worth another attempt, and why the others fail: decided here only ({@link #isRetryable},
 * {@link #permanentReason}), on the classification both libraries share ({@link AwsErrors#classify}).
 */
public final class RetryPolicy {

    private RetryPolicy() {
    }

    /**
     * True when an entry (or a whole call) that failed with {@code errorCode} / {@code cause} should be tried
     * again: throttling ({@code ProvisionedThroughputExceededException}, {@code KMSThrottlingException}),
     * {@code InternalFailure}, 5xx, timeouts, connection and other client-side SDK failures, and any error code
     * not known to be permanent (the record's TTL bounds those). False for refused callers (codes, 401/403,
     * credentials that cannot be loaded), a missing stream, invalid requests and KMS key problems, and for
     * exceptions that are neither SDK, I/O nor timeout failures (bugs do not heal by retrying).
     *
     * @param errorCode the entry's ErrorCode or {@link AwsErrors#errorCodeOrType}; may be null
     * @param cause the whole call's failure, or null for an entry error
     */
    public static boolean isRetryable(String errorCode, Throwable cause) {
        return permanentReason(errorCode, cause) == null;
    }

    /**
     * Null when the failure is worth another attempt ({@link #isRetryable}); else why it is permanent:
     * {@link FailureReason#NOT_AUTHORIZED}, {@link FailureReason#STREAM_NOT_FOUND} ({@code ResourceNotFoundException})
     * or {@link FailureReason#NON_RETRYABLE_ERROR}.
     */
    public static FailureReason permanentReason(String errorCode, Throwable cause) {
        return switch (AwsErrors.classify(errorCode, cause)) {
            case TRANSIENT, UNRECOGNIZED -> null;
            case AUTH -> FailureReason.NOT_AUTHORIZED;
            case NOT_FOUND -> FailureReason.STREAM_NOT_FOUND;
            case INVALID -> FailureReason.NON_RETRYABLE_ERROR;
        };
    }

    /**
     * The message of a {@link FailureReason#NOT_AUTHORIZED} failure: what was refused, for which stream, and the
     * setting to change.
     *
     * @param operation the Kinesis operation, e.g. {@code PutRecords}
     */
    public static String notAuthorizedMessage(String stream, String operation, String errorCode, String message,
            Throwable cause) {
        String detail = " (" + errorCode + ": " + message + ")";
        if (AwsErrors.isCredentialsUnavailable(cause)) {
            return "no AWS credentials could be loaded for " + operation + " on stream '" + stream + "'" + detail
                    + ": configure ProducerConfig.credentialsProvider (or the credentials of the kinesisClient you "
                    + "supply), or the default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws/credentials "
                    + "profile, web identity, container or instance role)";
        }
        if ("KMSAccessDeniedException".equals(errorCode)) {
            return "not allowed to use the KMS key of stream '" + stream + "' for " + operation + detail
                    + ": the key policy (or IAM policy) of the producer's principal must allow kms:GenerateDataKey";
        }
        if ("AccessDeniedException".equals(errorCode)) {
            return "not authorized to call " + operation + " on stream '" + stream + "'" + detail
                    + ": the IAM policy of the producer's principal must allow kinesis:" + operation
                    + " on the stream (see the README's IAM permissions)";
        }
        return "Kinesis refused the credentials for " + operation + " on stream '" + stream + "'" + detail
                + ": check the credentials provider (ProducerConfig.credentialsProvider or the supplied "
                + "kinesisClient's), that session credentials have not expired, the region and the system clock";
    }
}
