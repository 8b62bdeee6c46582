package io.purekinesis.consumer.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ApiName;

/**
 * The one way the consumer sends a request to Kinesis or DynamoDB. Each request is tagged with the library's SDK
 * {@link ApiName} ({@value #API_NAME}/version, visible in the User-Agent and to execution interceptors) through its
 * own override configuration, so the tag is there on clients the user built too; a failure comes back as an
 * {@link AwsCallException} naming the IAM action and the resource.
 */
public final class AwsCalls {

    /** The name every request of the consumer carries. */
    public static final String API_NAME = "purekinesis-consumer";
    /** The library's version (from the build), or {@code unknown} when the packaged properties are missing. */
    public static final String VERSION = loadVersion();

    private static final ApiName TAG = ApiName.builder().name(API_NAME).version(VERSION).build();

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

    /** {@code request} with the library's ApiName added to whatever override configuration it has. */
    @SuppressWarnings("unchecked")
    public static <R extends AwsRequest> R tagged(R request) {
        AwsRequestOverrideConfiguration.Builder o = request.overrideConfiguration()
                .map(AwsRequestOverrideConfiguration::toBuilder).orElseGet(AwsRequestOverrideConfiguration::builder);
        if (o.apiNames().stream().noneMatch(a -> API_NAME.equals(a.name()))) {
            o.addApiName(TAG);
        }
        return (R) request.toBuilder().overrideConfiguration(o.build()).build();
    }

    private static String loadVersion() {
        try (InputStream in = AwsCalls.class.getResourceAsStream("library.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.isBlank() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
