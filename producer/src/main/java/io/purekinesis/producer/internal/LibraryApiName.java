package io.purekinesis.producer.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ApiName;

/**
 * The one place that names this library to AWS: every request the producer makes carries the SDK
 * {@link ApiName} {@value #NAME}/version (it ends up in the User-Agent, so CloudTrail, AWS support and a test
 * interceptor can attribute each call to the producer). Set per request through its override configuration, so it
 * works for a user-supplied client too.
 */
public final class LibraryApiName {

    /** The ApiName's name. */
    public static final String NAME = "purekinesis-producer";
    /** This library's version, from the build ({@code library.properties}); "unknown" if it cannot be read. */
    public static final String VERSION = readVersion();
    private static final AwsRequestOverrideConfiguration OVERRIDE = AwsRequestOverrideConfiguration.builder()
            .addApiName(ApiName.builder().name(NAME).version(VERSION).build()).build();

    private LibraryApiName() {
    }

    /** Names the library on {@code request} (any Kinesis request builder) and returns it. */
    public static <B extends AwsRequest.Builder> B tag(B request) {
        request.overrideConfiguration(OVERRIDE);
        return request;
    }

    private static String readVersion() {
        try (InputStream in = LibraryApiName.class.getResourceAsStream("library.properties")) {
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
