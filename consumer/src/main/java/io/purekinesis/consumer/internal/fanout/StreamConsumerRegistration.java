package io.purekinesis.consumer.internal.fanout;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.DeregisterStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * Finds the application's stream consumer, registering it if missing, and waits until it is ACTIVE: once per worker,
 * at start. DescribeStreamConsumer first (so workers after the first register nothing); RegisterStreamConsumer when
 * it does not exist; a {@code ResourceInUseException} there means another worker registered it at the same time, so
 * it is described again. A consumer being deleted is waited out, then registered again. With
 * {@code fanOutConsumerArn} nothing is registered: that consumer is only waited for. Waits on the consumer's
 * {@link Time}, at most {@link #ACTIVE_TIMEOUT}. Never deregisters: that is the user's call
 * ({@link #deregister}).
 */
public final class StreamConsumerRegistration {

    private static final Logger log = LoggerFactory.getLogger(StreamConsumerRegistration.class);
    /** How long a consumer may stay CREATING (or DELETING, before it is registered again). */
    static final Duration ACTIVE_TIMEOUT = Duration.ofMinutes(2);
    static final Duration POLL_BASE = Duration.ofMillis(50);
    static final Duration POLL_MAX = Duration.ofSeconds(2);
    /** RegisterStreamConsumer answers LimitExceeded this many times in a row before it is taken as the 20 limit. */
    static final int LIMIT_ATTEMPTS = 3;

    private final ConsumerConfig config;
    private final String streamName;
    private final KinesisAsyncClient kinesis;
    private final Time time;
    private final Backoff poll;
    private volatile String consumerArn;

    /** The registration on the configured stream. */
    public StreamConsumerRegistration(ConsumerConfig config, KinesisAsyncClient kinesis, Time time, Random random) {
        this(config, config.streamName(), kinesis, time, random);
    }

    /** The registration on {@code streamName} (multi-stream mode: one per stream, each named fanOutConsumerName). */
    public StreamConsumerRegistration(ConsumerConfig config, String streamName, KinesisAsyncClient kinesis, Time time,
            Random random) {
        this.streamName = streamName;
        this.config = config;
        this.kinesis = kinesis;
        this.time = time;
        this.poll = Backoff.of(POLL_BASE, POLL_MAX, random);
    }

    /** The consumer's ARN, once {@link #ensure()} returned. */
    public String consumerArn() {
        String arn = consumerArn;
        if (arn == null) {
            throw new IllegalStateException("the stream consumer is not registered yet");
        }
        return arn;
    }

    /**
     * Finds or registers the consumer and waits until it is ACTIVE. Failures are thrown as they come (the start-up
     * retries transient ones), except a registration limit, which ends it with an exception saying what to do.
     */
    public void ensure() throws InterruptedException {
        if (consumerArn != null) {
            return;
        }
        String given = config.fanOutConsumerArn().orElse(null);
        if (given != null) {
            ConsumerDescription d = awaitActive(describe(DescribeStreamConsumerRequest.builder().consumerARN(given)
                    .build()));
            consumerArn = d.consumerARN();
            log.info("Worker {}: using stream consumer {} ({})", config.workerId(), consumerArn, d.consumerStatus());
            return;
        }
        String streamArn = join(AwsCalls.call("kinesis:DescribeStreamSummary", "stream " + streamName,
                DescribeStreamSummaryRequest.builder().streamName(streamName).build(),
                kinesis::describeStreamSummary)).streamDescriptionSummary().streamARN();
        String name = config.fanOutConsumerName();
        long deadline = time.nanoTime() + ACTIVE_TIMEOUT.toNanos();
        int limitExceeded = 0;
        for (int attempt = 1; ; attempt++) {
            ConsumerDescription found = describeByName(streamArn, name);
            if (found != null && found.consumerStatus() != ConsumerStatus.DELETING) {
                ConsumerDescription d = awaitActive(found);
                consumerArn = d.consumerARN();
                log.info("Worker {}: stream consumer {} is {}", config.workerId(), consumerArn, d.consumerStatus());
                return;
            }
            if (found == null) {
                try {
                    join(AwsCalls.call("kinesis:RegisterStreamConsumer", "stream " + streamName,
                            RegisterStreamConsumerRequest.builder().streamARN(streamArn).consumerName(name).build(),
                            kinesis::registerStreamConsumer));
                    log.info("Worker {}: registered stream consumer {} on stream {}", config.workerId(), name,
                            streamName);
                    continue; // described again: the answer of the registration may be all a peer's
                } catch (RuntimeException e) {
                    Throwable cause = Failures.sdkCause(e);
                    if (cause instanceof ResourceInUseException) {
                        log.debug("Stream consumer {} was registered by another worker meanwhile", name);
                        continue;
                    }
                    if (!(cause instanceof LimitExceededException)) {
                        throw e;
                    }
                    if (++limitExceeded >= LIMIT_ATTEMPTS) {
                        throw new KinesisConsumerException("could not register stream consumer " + name + " on stream "
                                + streamName + ": RegisterStreamConsumer answered LimitExceededException "
                                + limitExceeded + " times. A stream has at most 20 registered consumers: deregister "
                                + "those no application uses (aws kinesis list-stream-consumers / "
                                + "deregister-stream-consumer), set ConsumerConfig fanOutConsumerArn to an existing "
                                + "consumer, or set retrievalMode POLLING", e);
                    }
                }
            }
            // being deleted, or registrations throttled: wait and look again
            if (time.nanoTime() - deadline >= 0) {
                throw new KinesisConsumerException("stream consumer " + name + " of stream " + streamName
                        + " is still being deleted after " + ACTIVE_TIMEOUT.toSeconds() + " s; register it again "
                        + "later, or set ConsumerConfig fanOutConsumerName to another name");
            }
            time.sleep(poll.delay(attempt).plus(POLL_BASE));
        }
    }

    private ConsumerDescription describeByName(String streamArn, String name) {
        try {
            return describe(DescribeStreamConsumerRequest.builder().streamARN(streamArn).consumerName(name).build());
        } catch (RuntimeException e) {
            if (Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                return null;
            }
            throw e;
        }
    }

    private ConsumerDescription describe(DescribeStreamConsumerRequest request) {
        return join(AwsCalls.call("kinesis:DescribeStreamConsumer", "stream " + streamName, request,
                kinesis::describeStreamConsumer)).consumerDescription();
    }

    /** Describes {@code d}'s consumer (by ARN) until it is ACTIVE. */
    private ConsumerDescription awaitActive(ConsumerDescription d) throws InterruptedException {
        long deadline = time.nanoTime() + ACTIVE_TIMEOUT.toNanos();
        for (int attempt = 1; d.consumerStatus() != ConsumerStatus.ACTIVE; attempt++) {
            if (d.consumerStatus() == ConsumerStatus.DELETING) {
                throw new KinesisConsumerException("stream consumer " + d.consumerARN() + " is being deleted: "
                        + "set ConsumerConfig fanOutConsumerArn to a registered consumer, or leave it out to have "
                        + "one registered");
            }
            if (time.nanoTime() - deadline >= 0) {
                throw new KinesisConsumerException("stream consumer " + d.consumerARN() + " is still "
                        + d.consumerStatusAsString() + " after " + ACTIVE_TIMEOUT.toSeconds() + " s");
            }
            time.sleep(poll.delay(attempt).plus(POLL_BASE));
            d = describe(DescribeStreamConsumerRequest.builder().consumerARN(d.consumerARN()).build());
        }
        return d;
    }

    /**
     * Deregisters the stream consumer {@code config} names (its {@code fanOutConsumerArn}, else
     * {@code fanOutConsumerName} on its stream). Never called by the consumer itself.
     *
     * @return false if there was no such consumer
     */
    public static boolean deregister(ConsumerConfig config, KinesisAsyncClient kinesis) {
        return deregister(config, config.streamName(), kinesis);
    }

    /** {@link #deregister(ConsumerConfig, KinesisAsyncClient)} on {@code streamName} (multi-stream mode). */
    public static boolean deregister(ConsumerConfig config, String streamName, KinesisAsyncClient kinesis) {
        String arn = config.fanOutConsumerArn().orElse(null);
        String resource = "stream " + streamName;
        if (arn == null) {
            String streamArn = join(AwsCalls.call("kinesis:DescribeStreamSummary", resource,
                    DescribeStreamSummaryRequest.builder().streamName(streamName).build(),
                    kinesis::describeStreamSummary)).streamDescriptionSummary().streamARN();
            try {
                arn = join(AwsCalls.call("kinesis:DescribeStreamConsumer", resource, DescribeStreamConsumerRequest
                        .builder().streamARN(streamArn).consumerName(config.fanOutConsumerName()).build(),
                        kinesis::describeStreamConsumer)).consumerDescription().consumerARN();
            } catch (RuntimeException e) {
                if (Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                    return false;
                }
                throw e;
            }
        }
        try {
            join(AwsCalls.call("kinesis:DeregisterStreamConsumer", resource, DeregisterStreamConsumerRequest.builder()
                    .consumerARN(arn).build(), kinesis::deregisterStreamConsumer));
        } catch (RuntimeException e) {
            if (Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                return false;
            }
            throw e;
        }
        log.info("Deregistered stream consumer {}", arn);
        return true;
    }

    /** The answer; a failure as an unchecked exception carrying the {@link AwsCalls} wrapper. */
    private static <T> T join(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException r ? r : e;
        }
    }
}
