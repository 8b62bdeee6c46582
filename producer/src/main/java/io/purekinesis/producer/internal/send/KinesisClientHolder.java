package io.purekinesis.producer.internal.send;

import io.purekinesis.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;

/**
 * Ownership of the Kinesis client as a type: a supplied client is {@link #shared shared} and never closed by
 * us; a client we built is {@link #owned owned} and closed with the producer.
 */
public abstract sealed class KinesisClientHolder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KinesisClientHolder.class);

    private final KinesisAsyncClient client;

    private KinesisClientHolder(KinesisAsyncClient client) {
        this.client = client;
    }

    public static KinesisClientHolder shared(KinesisAsyncClient client) {
        return new Shared(client);
    }

    public static KinesisClientHolder owned(KinesisAsyncClient client) {
        return new Owned(client);
    }

    /** The config's client, shared; else one built from the config's region, endpoint and credentials, owned. */
    public static KinesisClientHolder forConfig(ProducerConfig config) {
        return config.kinesisClient().map(KinesisClientHolder::shared).orElseGet(() -> owned(build(config)));
    }

    private static KinesisAsyncClient build(ProducerConfig config) {
        KinesisAsyncClientBuilder builder = KinesisAsyncClient.builder()
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(Math.max(50, config.maxConcurrentRequests() * 2)));
        config.region().ifPresent(builder::region);
        config.endpointOverride().ifPresent(builder::endpointOverride);
        config.credentialsProvider().ifPresent(builder::credentialsProvider);
        return builder.build();
    }

    public KinesisAsyncClient client() {
        return client;
    }

    /** The client's region, for refusing ARNs of other regions at add; null when the client cannot say. */
    public String region() {
        try {
            Region region = client.serviceClientConfiguration().region();
            return region == null ? null : region.id();
        } catch (RuntimeException e) {
            LOG.debug("The Kinesis client does not tell its region ({}): stream ARNs are not checked against it",
                    e.toString());
            return null;
        }
    }

    @Override
    public abstract void close();

    private static final class Shared extends KinesisClientHolder {
        Shared(KinesisAsyncClient client) {
            super(client);
        }

        @Override
        public void close() {
            // The user's client: theirs to close.
        }
    }

    private static final class Owned extends KinesisClientHolder {
        Owned(KinesisAsyncClient client) {
            super(client);
        }

        @Override
        public void close() {
            client().close();
        }
    }
}
