package io.purekinesis.producer.internal.send;

import io.purekinesis.internal.aws.ClientHolder;
import io.purekinesis.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;

/** The producer's Kinesis client: the user's, or one built from the config; and the region it is for. */
public final class KinesisClients {

    private static final Logger LOG = LoggerFactory.getLogger(KinesisClients.class);

    private KinesisClients() {
    }

    /**
     * The config's client, shared (the user closes it); else one built from the config's region, endpoint and
     * credentials, owned (closed with the producer).
     */
    public static ClientHolder<KinesisAsyncClient> forConfig(ProducerConfig config) {
        return config.kinesisClient().map(ClientHolder::shared).orElseGet(() -> ClientHolder.owned(build(config)));
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

    /** The client's region, for refusing ARNs of other regions at add; null when the client cannot say. */
    public static String region(KinesisAsyncClient client) {
        try {
            Region region = client.serviceClientConfiguration().region();
            return region == null ? null : region.id();
        } catch (RuntimeException e) {
            LOG.debug("The Kinesis client does not tell its region ({}): stream ARNs are not checked against it",
                    e.toString());
            return null;
        }
    }
}
