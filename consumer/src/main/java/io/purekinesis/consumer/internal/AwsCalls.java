package io.purekinesis.consumer.internal;

import io.purekinesis.internal.aws.RequestTag;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.core.ApiName;

/**
 * The one way the consumer sends a request to Kinesis or DynamoDB. Each request is tagged with the library's SDK
 * {@link ApiName} ({@value #API_NAME}/version, visible in the User-Agent and to execution interceptors) through its
 * own override configuration ({@link RequestTag}), so the tag is there on clients the user built too; a failure comes
 * back as an {@link AwsCallException} naming the IAM action and the resource.
 */
public final class AwsCalls {

    /** The name every request of the consumer carries. */
    public static final String API_NAME = "purekinesis-consumer";
    private static final RequestTag TAG = RequestTag.forLibrary(API_NAME, AwsCalls.class);
    /** The library's version (from the build's {@code library.properties}), or {@code unknown} when missing. */
    public static final String VERSION = TAG.version();

    private AwsCalls() {
    }

    /**
     * Sends {@code request} (tagged) with {@code send}; a failure, thrown or in the future, completes the result with
     * an {@link AwsCallException}.
     *
     * @param operation the IAM action, e.g. {@code kinesis:GetRecords}
     * @param resource  what it is about, e.g. {@code stream orders}
     */
    public static <R extends AwsRequest, T> CompletableFuture<T> call(String operation, String resource, R request,
            Function<R, CompletableFuture<T>> send) {
        CompletableFuture<T> sent;
        try {
            sent = send.apply(tagged(request));
            if (sent == null) {
                throw new IllegalStateException("the client returned no future");
            }
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((value, e) -> {
            if (e != null) {
                throw new CompletionException(new AwsCallException(operation, resource, Failures.unwrap(e)));
            }
            return value;
        });
    }

    /** {@code request} with the library's ApiName added to whatever override configuration it has (once). */
    public static <R extends AwsRequest> R tagged(R request) {
        return TAG.tagged(request);
    }
}
