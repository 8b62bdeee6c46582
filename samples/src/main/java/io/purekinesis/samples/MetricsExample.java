package io.purekinesis.samples;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.micrometer.MicrometerConsumerMetrics;
import io.purekinesis.micrometer.MicrometerProducerMetrics;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import software.amazon.awssdk.regions.Region;

/**
 * The README's Prometheus metrics example, compiled; {@code ReadmeSnippetsTest} keeps the README's copy identical.
 */
public final class MetricsExample {

    private MetricsExample() {
    }

    public static void main(String[] args) {
        // README-SNIPPET-START prometheus
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder()
                .region(Region.US_EAST_1)
                .metrics(MicrometerProducerMetrics.builder(registry)
                        .commonTags(Tags.of("application", "orders-api"))
                        .build())
                .build());

        KinesisConsumer consumer = new KinesisConsumer(ConsumerConfig.builder()
                .applicationName("billing")
                .streamName("orders")
                .region(Region.US_EAST_1)
                .metrics(MicrometerConsumerMetrics.builder(registry)
                        .stream("orders")
                        .commonTags(Tags.of("application", "billing"))
                        .perShardTags(true)                 // a lag gauge per shard this worker holds
                        .build())
                .build(), ConsumerExample.PrintingProcessor::new);

        // Serve this text at /metrics for Prometheus to scrape (Spring Boot and Quarkus do that for you).
        String scrape = registry.scrape();
        // README-SNIPPET-END prometheus
        System.out.println(scrape.lines().filter(l -> l.startsWith("purekinesis")).count() + " purekinesis lines");
        producer.close();
        consumer.close();
    }
}
