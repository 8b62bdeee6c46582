package io.purekinesis.producer.internal.retry;

import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/** Which errors are worth another attempt: decided in {@link #isRetryable} only. */
public final class RetryPolicy {

    /** Errors retrying cannot fix: the request, the caller's rights, the stream or its KMS key are wrong. */
    static final Set<String> NON_RETRYABLE = Set.of(
            "ValidationException",
            "InvalidArgumentException",
            "AccessDeniedException",
            "ResourceNotFoundException",
            "KMSDisabledException",
            "KMSNotFoundException",
            "KMSAccessDeniedException",
            "KMSInvalidStateException",
            "KMSOptInRequired");

    private RetryPolicy() {
    }

    /**
     * True when an entry (or a whole call) that failed with {@code errorCode} / {@code cause} should be tried
     * again: throttling ({@code ProvisionedThroughputExceededException}, {@code KMSThrottlingException}),
     * {@code InternalFailure}, 5xx, timeouts, connection and other client-side SDK failures, and any error code
     * not known to be permanent. False for the codes in {@link #NON_RETRYABLE} and for exceptions that are
     * neither SDK, I/O nor timeout failures (bugs do not heal by retrying).
     *
     * @param errorCode the entry's ErrorCode or {@link #errorCode(Throwable)}; may be null
     * @param cause the whole call's failure, or null for an entry error
     */
    public static boolean isRetryable(String errorCode, Throwable cause) {
        if (errorCode != null && NON_RETRYABLE.contains(errorCode)) {
            return false;
        }
        if (cause == null) {
            return true;
        }
        Throwable c = unwrap(cause);
        return c instanceof SdkException || c instanceof java.io.IOException
                || c instanceof java.util.concurrent.TimeoutException;
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
