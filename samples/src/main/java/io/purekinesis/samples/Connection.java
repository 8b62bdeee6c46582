package io.purekinesis.samples;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Where the sample apps connect. Against AWS: the given region (or the SDK's region chain) and the SDK's default
 * credentials chain, nothing else changed. With {@code --endpoint} (a local emulator): dummy static credentials,
 * us-east-1 unless a region is given, and JSON instead of CBOR.
 */
final class Connection {

    static final String CBOR_PROPERTY = "aws.cborEnabled";
    private static final AwsCredentialsProvider DUMMY =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy"));

    private final Optional<Region> region;
    private final Optional<URI> kinesisEndpoint;

    Connection(Optional<Region> region, Optional<URI> kinesisEndpoint) {
        this.region = region;
        this.kinesisEndpoint = kinesisEndpoint;
    }

    boolean local() {
        return kinesisEndpoint.isPresent();
    }

    Optional<Region> region() {
        return local() ? Optional.of(region.orElse(Region.US_EAST_1)) : region;
    }

    Optional<URI> kinesisEndpoint() {
        return kinesisEndpoint;
    }

    /** Dummy credentials for an emulator; empty means the SDK's default credentials chain. */
    Optional<AwsCredentialsProvider> credentials() {
        return local() ? Optional.of(DUMMY) : Optional.empty();
    }

    /**
     * The local Kinesis emulator garbles CBOR responses over ~8 KB (aggregated records reach 50 KB), so talk JSON to
     * it. The SDK reads the property once, when the first Kinesis client is built: call this before building any.
     */
    void applyProtocol() {
        if (local() && System.getProperty(CBOR_PROPERTY) == null) {
            System.setProperty(CBOR_PROPERTY, "false");
        }
    }

    String describe() {
        return kinesisEndpoint.map(e -> "endpoint " + e + " (dummy credentials, JSON), region " + region().get())
                .orElseGet(() -> "AWS, region " + region.map(Region::id).orElse("from the SDK's region chain")
                        + ", default credentials chain");
    }
}
