package io.purekinesis.internal.aws;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ApiName;

/**
 * A library's name on its requests: every request the producer or the consumer makes carries the SDK
 * {@link ApiName} {@code purekinesis-producer/<version>} or {@code purekinesis-consumer/<version>}. It ends up in
 * the User-Agent, so CloudTrail, AWS support and a test interceptor can tell which library made a call. It is set
 * per request, in the request's override configuration, so it is there on clients the user built too; what the
 * request's override configuration already held is kept, and the name is added once.
 */
public final class RequestTag {

    private final String name;
    private final String version;
    private final ApiName apiName;
    /** The override configuration of a request that had none: built once, shared by all. */
    private final AwsRequestOverrideConfiguration alone;

    private RequestTag(String name, String version) {
        this.name = name;
        this.version = version;
        this.apiName = ApiName.builder().name(name).version(version).build();
        this.alone = AwsRequestOverrideConfiguration.builder().addApiName(apiName).build();
    }

    /**
     * The tag of a library whose version is in {@code library.properties} (key {@code version}, filled in by the
     * build) in the package of {@code anchor}; {@code unknown} when that file is missing or was not filtered. Each
     * library reads its own file, so the tag names the library's version even if another one of this module is on
     * the class path.
     */
    public static RequestTag forLibrary(String name, Class<?> anchor) {
        return new RequestTag(name, readVersion(anchor));
    }

    /** The ApiName's name, e.g. {@code purekinesis-producer}. */
    public String name() {
        return name;
    }

    /** The library's version, or {@code unknown}. */
    public String version() {
        return version;
    }

    /** Adds the library's name to {@code request}'s override configuration (once) and returns the builder. */
    public <B extends AwsRequest.Builder> B tag(B request) {
        AwsRequestOverrideConfiguration had = request.overrideConfiguration();
        request.overrideConfiguration(had == null ? alone : with(had));
        return request;
    }

    /** {@code request} with the library's name added to whatever override configuration it has (once). */
    @SuppressWarnings("unchecked")
    public <R extends AwsRequest> R tagged(R request) {
        AwsRequestOverrideConfiguration had = request.overrideConfiguration().orElse(null);
        if (had != null && named(had)) {
            return request;
        }
        return (R) request.toBuilder().overrideConfiguration(had == null ? alone : with(had)).build();
    }

    private AwsRequestOverrideConfiguration with(AwsRequestOverrideConfiguration had) {
        return named(had) ? had : had.toBuilder().addApiName(apiName).build();
    }

    private boolean named(AwsRequestOverrideConfiguration o) {
        return o.apiNames().stream().anyMatch(a -> name.equals(a.name()));
    }

    private static String readVersion(Class<?> anchor) {
        try (InputStream in = anchor.getResourceAsStream("library.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown").trim();
            return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
