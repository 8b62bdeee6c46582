package io.purekinesis.testkit;

import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;

/** SDK client settings shared by both local endpoints. */
final class Clients {

    static final Region REGION = Region.US_EAST_1;
    /** The emulators check that requests are signed, not by whom. */
    static final AwsCredentialsProvider DUMMY_CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy"));
    /** Integration tests fire many requests at once; the SDK default of 50 connections queues them. */
    static final int MAX_CONCURRENCY = 256;

    static final String CBOR_PROPERTY = "aws.cborEnabled";
    private static final Logger LOG = LoggerFactory.getLogger(Clients.class);
    private static final AtomicBoolean CBOR_CHECKED = new AtomicBoolean();

    private Clients() {
    }

    static <B extends AwsClientBuilder<B, ?>> B pointAt(B builder, URI endpoint) {
        return builder.endpointOverride(endpoint).region(REGION).credentialsProvider(DUMMY_CREDENTIALS);
    }

    static NettyNioAsyncHttpClient.Builder nettyBuilder() {
        return NettyNioAsyncHttpClient.builder().maxConcurrency(MAX_CONCURRENCY);
    }

    /**
     * The emulator's CBOR encoding breaks on records over ~8 KB (GetRecords then fails to unmarshal), and KPL-style
     * aggregated records are up to 50 KB, so Kinesis clients must speak JSON to it. The SDK reads this property
     * once, when the first Kinesis client is built, so it is set before any client could exist. An explicit setting
     * is respected.
     */
    static void preferJsonForKinesis() {
        if (!CBOR_CHECKED.compareAndSet(false, true)) {
            return;
        }
        String value = System.getProperty(CBOR_PROPERTY);
        if (value == null) {
            System.setProperty(CBOR_PROPERTY, "false");
            LOG.info("Set -D{}=false: the local Kinesis emulator corrupts CBOR responses over ~8 KB, so Kinesis"
                    + " clients in this JVM use JSON", CBOR_PROPERTY);
        } else if (!"false".equalsIgnoreCase(value)) {
            LOG.warn("-D{}={}: reading records over ~8 KB from the local Kinesis emulator will fail;"
                    + " set it to false", CBOR_PROPERTY, value);
        }
    }
}
