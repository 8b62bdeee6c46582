/**
 * Micrometer bindings of the producer's and the consumer's metrics listeners: {@link
 * io.purekinesis.micrometer.MicrometerProducerMetrics} and {@link io.purekinesis.micrometer.MicrometerConsumerMetrics}
 * register counters, timers and gauges in any {@code MeterRegistry} (CloudWatch, Prometheus, Datadog...), named as
 * in {@link io.purekinesis.micrometer.PureKinesisMeters}. The application brings Micrometer (1.13 to 1.17 are
 * tested); the bindings depend on it with scope {@code provided}.
 */
package io.purekinesis.micrometer;
