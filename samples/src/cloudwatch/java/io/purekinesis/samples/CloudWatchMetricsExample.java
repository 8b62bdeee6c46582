package io.purekinesis.samples;

import io.micrometer.cloudwatch2.CloudWatchConfig;
import io.micrometer.cloudwatch2.CloudWatchMeterRegistry;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.purekinesis.micrometer.MicrometerProducerMetrics;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;

/**
 * The README's CloudWatch metrics example. Compiled only with {@code -Pcloudwatch} (see the samples pom): the
 * repository this project's CI builds from does not serve {@code micrometer-registry-cloudwatch2}.
 * {@code ReadmeSnippetsTest} keeps the README's copy identical in every build.
 */
public final class CloudWatchMetricsExample {

    private CloudWatchMetricsExample() {
    }

    public static void main(String[] args) {
        // README-SNIPPET-START cloudwatch
        CloudWatchConfig config = new CloudWatchConfig() {
            @Override
            public String get(String key) {
                return null;                                // the defaults: one PutMetricData a minute
            }

            @Override
            public String namespace() {
                return "purekinesis";
            }
        };
        MeterRegistry registry = new CloudWatchMeterRegistry(config, Clock.SYSTEM, CloudWatchAsyncClient.create());

        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder()
                .region(Region.US_EAST_1)
                .metrics(MicrometerProducerMetrics.builder(registry).build())
                .build());
        // README-SNIPPET-END cloudwatch
        producer.close();
        registry.close();
    }
}
