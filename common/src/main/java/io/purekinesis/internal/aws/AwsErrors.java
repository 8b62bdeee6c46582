package io.purekinesis.internal.aws;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The one classification of failed AWS calls and entries for both libraries ({@link #classify}), and reading their
 * error code and message. Each library maps the {@link Kind} to what it does: the producer retries
 * {@link Kind#TRANSIENT} and {@link Kind#UNRECOGNIZED} until a record's TTL and fails the rest with a reason; the
 * consumer retries only {@link Kind#TRANSIENT} quietly and reports the rest as needing a person.
 */
public final class AwsErrors {

    /** What a failure is. */
    public enum Kind {
        /** Passes by itself: throttling, limits, 5xx, connection problems, timeouts. */
        TRANSIENT,
        /**
         * The caller was refused: credentials missing, unknown, badly signed or expired, or a permission missing
         * (IAM, a KMS key policy). Retrying cannot fix it.
         */
        AUTH,
        /** {@code ResourceNotFoundException}: the stream or table does not exist. */
        NOT_FOUND,
        /**
         * Will not change without someone acting: the request is invalid, the KMS key is disabled or missing, no
         * region could be loaded; and any exception that is neither an SDK, I/O nor timeout failure (a bug does
         * not heal by retrying).
         */
        INVALID,
        /**
         * A service error (or an entry's error code) in none of the lists above, e.g. {@code ResourceInUseException}
         * of a stream still being created or updated: whether it may pass is the library's call.
         */
        UNRECOGNIZED
    }

    /** Codes (and exception type names) of refused callers, across the services and the SDK's spellings. */
    static final Set<String> AUTH_CODES = Set.of("AccessDeniedException", "AccessDenied",
            "UnrecognizedClientException", "ExpiredTokenException", "ExpiredToken", "InvalidSignatureException",
            "SignatureDoesNotMatch", "IncompleteSignature", "IncompleteSignatureException",
            "MissingAuthenticationToken", "MissingAuthenticationTokenException", "InvalidClientTokenId",
            "InvalidAccessKeyId", "UnauthorizedOperation", "NotAuthorized", "AuthFailure", "RequestExpired",
            "KMSAccessDeniedException");
    static final String NOT_FOUND_CODE = "ResourceNotFoundException";
    /** The request, the stream or its KMS key are wrong: retrying cannot fix these. */
    static final Set<String> INVALID_CODES = Set.of("ValidationException", "InvalidArgumentException",
            "KMSDisabledException", "KMSNotFoundException", "KMSInvalidStateException", "KMSOptInRequired");
    static final Set<String> TRANSIENT_CODES = Set.of("LimitExceededException",
            "ProvisionedThroughputExceededException", "RequestLimitExceeded", "ThrottlingException", "Throttling",
            "TooManyRequestsException", "KMSThrottlingException", "InternalFailure", "ServiceUnavailable",
            "TransactionInProgressException");

    private AwsErrors() {
    }

    /** {@link #classify(String, Throwable)} of a failed call. */
    public static Kind classify(Throwable cause) {
        return classify(null, cause);
    }

    /**
     * What a failure is. A service error is judged by its error code and its exception type's name (an exception
     * built without error details still has its type), then by its status (401 / 403 refused, 429 / 5xx
     * transient); a client-side SDK failure is {@link Kind#AUTH} when credentials could not be loaded
     * ({@link #isCredentialsUnavailable}), {@link Kind#INVALID} when no region could be, else
     * {@link Kind#TRANSIENT} (connection, timeout).
     *
     * @param errorCode an entry's ErrorCode, or null to judge {@code cause} alone
     * @param cause the failed call's exception (CompletionException / ExecutionException layers are looked
     *     through), or null for an entry error
     */
    public static Kind classify(String errorCode, Throwable cause) {
        Throwable c = cause == null ? null : unwrap(cause);
        AwsServiceException service = c instanceof AwsServiceException s ? s : null;
        String code = service == null ? null : errorCode(service);
        String type = service == null ? null : service.getClass().getSimpleName();
        int status = service == null ? 0 : service.statusCode();
        if (anyIn(AUTH_CODES, errorCode, code, type) || status == 401 || status == 403
                || isCredentialsUnavailable(c)) {
            return Kind.AUTH;
        }
        if (anyIn(Set.of(NOT_FOUND_CODE), errorCode, code, type)) {
            return Kind.NOT_FOUND;
        }
        if (anyIn(INVALID_CODES, errorCode, code, type)) {
            return Kind.INVALID;
        }
        if (anyIn(TRANSIENT_CODES, errorCode, code, type)
                || service != null && (service.isThrottlingException() || status >= 500)) {
            return Kind.TRANSIENT;
        }
        if (service != null || c == null) {
            return Kind.UNRECOGNIZED;
        }
        if (c instanceof SdkClientException) {
            return String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).startsWith("unable to load region")
                    ? Kind.INVALID : Kind.TRANSIENT;
        }
        return c instanceof IOException || c instanceof TimeoutException ? Kind.TRANSIENT : Kind.INVALID;
    }

    private static boolean anyIn(Set<String> codes, String a, String b, String c) {
        return a != null && codes.contains(a) || b != null && codes.contains(b) || c != null && codes.contains(c);
    }

    /**
     * The SDK could not load credentials: an {@link SdkClientException} thrown while it resolved the request's
     * identity (the credentials provider; e.g. the default chain with nothing configured). Recognised by where it
     * was thrown (a {@code resolveCredentials} / {@code resolveIdentity} frame of a credentials or identity
     * provider, anywhere in the cause chain), not by its message, which differs between providers and which a
     * connection error may share; the SDK's "Unable to load credentials" wording is only a fallback for exceptions
     * without a stack trace.
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

    /** The AWS error code of a failed call, or null when it is not a service error that has one. */
    public static String errorCode(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof AwsServiceException ase && ase.awsErrorDetails() != null) {
            return ase.awsErrorDetails().errorCode();
        }
        return null;
    }

    /** The AWS error code of a failed call, else the exception's simple class name: for messages and reasons. */
    public static String errorCodeOrType(Throwable cause) {
        String code = errorCode(cause);
        return code != null ? code : unwrap(cause).getClass().getSimpleName();
    }

    /** The message of a failed call: AWS's own message when it gave one (no request id noise), else the exception's. */
    public static String errorMessage(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof AwsServiceException ase && ase.awsErrorDetails() != null
                && ase.awsErrorDetails().errorMessage() != null) {
            return ase.awsErrorDetails().errorMessage();
        }
        return String.valueOf(c.getMessage());
    }

    /** {@code t} without its CompletionException / ExecutionException layers. */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
