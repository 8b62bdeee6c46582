package io.purekinesis.consumer.internal;

import io.purekinesis.internal.aws.AwsErrors;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The one place that decides what a failure of the consumer's AWS calls means: whether it may pass by itself
 * ({@link Kind#TRANSIENT}: throttling, limits, 5xx, connection problems, timeouts), is about credentials or
 * permissions ({@link Kind#AUTH}), or will not change without someone acting ({@link Kind#FATAL}: a missing stream
 * or table, validation errors, KMS key problems, a wrong region, an error code nobody knows). Start-up, fetching,
 * lease keeping, shard sync and checkpoints all ask here, and nowhere else decides; this is also the one place that
 * unwraps the wrappers. The classification itself is the one both libraries share ({@link AwsErrors#classify}).
 */
public final class Failures {

    /** What a failure means for whoever retries. */
    public enum Kind {
        /** Passes by itself: retry with backoff. */
        TRANSIENT,
        /** Credentials missing, invalid or expired, or a permission missing: fatal at start, loud while running. */
        AUTH,
        /** Needs a person: fatal at start, loud while running. */
        FATAL
    }

    private Failures() {
    }

    /** What {@code e} (possibly wrapped in CompletionException / AwsCallException) means. */
    public static Kind classify(Throwable e) {
        return switch (AwsErrors.classify(sdkCause(e))) {
            case TRANSIENT -> Kind.TRANSIENT;
            case AUTH -> Kind.AUTH;
            // an error the consumer does not know is not retried quietly: someone should look at it
            case NOT_FOUND, INVALID, UNRECOGNIZED -> Kind.FATAL;
        };
    }

    public static boolean isTransient(Throwable e) {
        return classify(e) == Kind.TRANSIENT;
    }

    /** Transient, and no service answered: the endpoint, the region or the network is the thing to check. */
    public static boolean isConnectionProblem(Throwable e) {
        Throwable c = sdkCause(e);
        return c instanceof SdkClientException && classify(c) == Kind.TRANSIENT;
    }

    /** The AWS error code, or null when {@code e} is not a service error that has one. */
    public static String errorCode(Throwable e) {
        return AwsErrors.errorCode(sdkCause(e));
    }

    /** Without CompletionException / ExecutionException layers; an {@link AwsCallException} stays. */
    public static Throwable unwrap(Throwable e) {
        return AwsErrors.unwrap(e);
    }

    /** The SDK's (or other) exception under the wrappers, for type checks. */
    public static Throwable sdkCause(Throwable e) {
        Throwable t = unwrap(e);
        while (t instanceof AwsCallException && t.getCause() != null) {
            t = unwrap(t.getCause());
        }
        return t;
    }

    /** The failed call, when {@code e} came from {@link AwsCalls}; else null. */
    public static AwsCallException call(Throwable e) {
        Throwable t = unwrap(e);
        return t instanceof AwsCallException a ? a : null;
    }

    /**
     * What makes two failures "the same error" for rate-limited reporting: the call, the resource, the exception's
     * type and error code; not the message, which carries a request id.
     */
    public static String signature(Throwable e) {
        AwsCallException call = call(e);
        Throwable cause = sdkCause(e);
        return (call == null ? "" : call.operation() + " " + call.resource() + " ") + cause.getClass().getName() + " "
                + errorCode(cause);
    }

    /**
     * A sentence for logs and exceptions: the call and resource when known, the cause, and for credential and
     * permission problems what to change.
     */
    public static String describe(Throwable e) {
        Throwable t = unwrap(e);
        AwsCallException call = t instanceof AwsCallException a ? a : null;
        Throwable cause = sdkCause(t);
        String what = call == null ? cause.toString()
                : call.operation() + " on " + call.resource() + " failed: " + cause;
        if (classify(cause) != Kind.AUTH) {
            return what;
        }
        String action = call == null ? "the call" : call.operation();
        if (cause instanceof SdkClientException && !(cause instanceof AwsServiceException)) {
            return what + ". No AWS credentials could be loaded: set ConsumerConfig credentialsProvider (or pass "
                    + "clients built with credentials), or configure the default chain (environment, profile, "
                    + "container or instance role)";
        }
        return what + ". The credentials were refused or lack a permission: grant " + action
                + (call == null ? "" : " on " + call.resource())
                + " to the role the consumer runs as (see the README's IAM policy), or change ConsumerConfig "
                + "credentialsProvider (or the kinesisClient / dynamoDbClient you pass), region or endpoints";
    }
}
