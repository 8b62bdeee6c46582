package io.purekinesis.producer.internal;

import io.purekinesis.internal.aws.RequestTag;
import software.amazon.awssdk.awscore.AwsRequest;

/**
 * The one place that names the producer to AWS: every request it makes carries the SDK ApiName {@value #NAME}/version
 * (see {@link RequestTag}), with the version from this package's {@code library.properties}, filled in by the build.
 */
public final class LibraryApiName {

    /** The ApiName's name. */
    public static final String NAME = "purekinesis-producer";
    private static final RequestTag TAG = RequestTag.forLibrary(NAME, LibraryApiName.class);
    /** This library's version, from the build; "unknown" if it cannot be read. */
    public static final String VERSION = TAG.version();

    private LibraryApiName() {
    }

    /** Names the library on {@code request} (any Kinesis request builder) and returns it. */
    public static <B extends AwsRequest.Builder> B tag(B request) {
        return TAG.tag(request);
    }

    /** {@code request} with the library's name added (once). */
    public static <R extends AwsRequest> R tagged(R request) {
        return TAG.tagged(request);
    }
}
