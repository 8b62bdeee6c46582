package io.purekinesis.producer.internal.retry;

import io.purekinesis.producer.FailureReason;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Which errors are worth another attempt, and why the others fail: decided here only ({@link #isRetryable},
 * {@link #permanentReason}).
 */
public final class RetryPolicy {

    /**
     * Kinesis refused the caller: its credentials (unknown, badly signed, expired, missing) or its rights (IAM, KMS
     * key policy). Retrying until the TTL cannot fix these.
     */
    static final Set<String> NOT_AUTHORIZED = Set.of(
            "AccessDeniedException",
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "IncompleteSignature",
            "MissingAuthenticationToken",
            "ExpiredTokenException",
            "KMSAccessDeniedException");

    /** Errors retrying cannot fix: the request, the caller's rights, the stream or its KMS key are wrong. */
    static final Set<String> NON_RETRYABLE = Set.of(
            "ValidationException",
            "InvalidArgumentException",
            "ResourceNotFoundException",
            "KMSDisabledException",
            "KMSNotFoundException",
            "KMSInvalidStateException",
            "KMSOptInRequired");

    private RetryPolicy() {
    }

    /**
     * True when an entry (or a whole call) that failed with {@code errorCode} / {@code cause} should be tried
     * again: throttling ({@code ProvisionedThroughputExceededException}, {@code KMSThrottlingException}),
     * {@code InternalFailure}, 5xx, timeouts, connection and other client-side SDK failures, and any error code
     * not known to be permanent. False for the codes in {@link #NON_RETRYABLE} and {@link #NOT_AUTHORIZED}, for
     * credentials that cannot be loaded, and for exceptions that are neither SDK, I/O nor timeout failures (bugs
     * do not heal by retrying).
     *
     * @param errorCode the entry's ErrorCode or {@link #errorCode(Throwable)}; may be null
     * @param cause the whole call's failure, or null for an entry error
     */
    public static boolean isRetryable(String errorCode, Throwable cause) {
        return permanentReason(errorCode, cause) == null;
    }

    /**
     * Null when the failure is worth another attempt ({@link #isRetryable}); else why it is permanent:
     * {@link FailureReason#NOT_AUTHORIZED} (see {@link #isNotAuthorized}), {@link FailureReason#STREAM_NOT_FOUND}
     * ({@code ResourceNotFoundException}) or {@link FailureReason#NON_RETRYABLE_ERROR}.
     */
    public static FailureReason permanentReason(String errorCode, Throwable cause) {
        if (isNotAuthorized(errorCode, cause)) {
            return FailureReason.NOT_AUTHORIZED;
        }
        if ("ResourceNotFoundException".equals(errorCode)) {
            return FailureReason.STREAM_NOT_FOUND;
        }
        if (errorCode != null && NON_RETRYABLE.contains(errorCode)) {
            return FailureReason.NON_RETRYABLE_ERROR;
        }
        if (cause == null) {
            return null;
        }
        Throwable c = unwrap(cause);
        return c instanceof SdkException || c instanceof java.io.IOException
                || c instanceof java.util.concurrent.TimeoutException ? null : FailureReason.NON_RETRYABLE_ERROR;
    }

    /**
     * An authentication or authorization failure: one of the {@link #NOT_AUTHORIZED} codes, or credentials that
     * could not be loaded ({@link #isCredentialsUnavailable}).
     */
    public static boolean isNotAuthorized(String errorCode, Throwable cause) {
        return (errorCode != null && NOT_AUTHORIZED.contains(errorCode)) || isCredentialsUnavailable(cause);
    }

    /**
     * The SDK could not load credentials: an {@link SdkClientException} thrown while it resolved the request's
     * identity (the credentials provider; e.g. the default chain with nothing configured). Recognised by where it
     * was thrown (a {@code resolveCredentials} / {@code resolveIdentity} frame of a credentials or identity
     * provider, anywhere in the cause chain), not by its message, which differs between providers; the SDK's
     * "Unable to load credentials" wording is only a fallback for exceptions without a stack trace.
     */
    public static boolean isCredentialsUnavailable(Throwable cause) {
        for (Throwable c = cause; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (!(c instanceof SdkClientException)) {
                continue;
            }
            StackTraceElement[] frames = c.getStackTrace();
            for (StackTraceElement f : frames) {
                String m = f.getMethodName();
                if ((m.equals("resolveCredentials") || m.equals("resolveIdentity"))
                        && (f.getClassName().startsWith("software.amazon.awssdk.auth.credentials.")
                        || f.getClassName().startsWith("software.amazon.awssdk.identity.spi."))) {
                    return true;
                }
            }
            if (frames.length == 0 && c.getMessage() != null
                    && c.getMessage().startsWith("Unable to load credentials")) {
                return true;
            }
        }
        return false;
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
        if (isCredentialsUnavailable(cause)) {
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

    /** The AWS error code of a failed call, else the exception's simple class name. */
    public static String errorCode(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof AwsServiceException ase && ase.awsErrorDetails() != null
                && ase.awsErrorDetails().errorCode() != null) {
            return ase.awsErrorDetails().errorCode();
        }
        return c.getClass().getSimpleName();
    }

    /** The message of a failed call, without the request id noise when AWS gave a plain message. */
    public static String errorMessage(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof AwsServiceException ase && ase.awsErrorDetails() != null
                && ase.awsErrorDetails().errorMessage() != null) {
            return ase.awsErrorDetails().errorMessage();
        }
        return String.valueOf(c.getMessage());
    }

    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
