package io.purekinesis.consumer.internal.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.RetrievalMode;
import io.purekinesis.consumer.internal.ManualScheduler;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.RegisterStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

/** Registration against a mocked client; its waits are virtual ({@link ManualScheduler} as the time). */
class StreamConsumerRegistrationTest {

    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders";
    private static final String ARN = STREAM_ARN + "/consumer/app:1";

    private final ManualScheduler time = new ManualScheduler();
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final Deque<Object> describes = new ArrayDeque<>();
    private final ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("orders")
            .retrievalMode(RetrievalMode.FAN_OUT).build();

    StreamConsumerRegistrationTest() {
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(
                CompletableFuture.completedFuture(DescribeStreamSummaryResponse.builder().streamDescriptionSummary(
                        StreamDescriptionSummary.builder().streamARN(STREAM_ARN).build()).build()));
        when(kinesis.describeStreamConsumer(any(DescribeStreamConsumerRequest.class))).thenAnswer(i -> {
            Object next = describes.isEmpty() ? ConsumerStatus.ACTIVE : describes.poll();
            if (next instanceof Throwable t) {
                return CompletableFuture.failedFuture(t);
            }
            return CompletableFuture.completedFuture(DescribeStreamConsumerResponse.builder().consumerDescription(
                    ConsumerDescription.builder().consumerARN(ARN).consumerName("app")
                            .consumerStatus((ConsumerStatus) next).build()).build());
        });
    }

    private StreamConsumerRegistration registration() {
        return new StreamConsumerRegistration(config, kinesis, time, new Random(1));
    }

    private static Throwable notFound() {
        return ResourceNotFoundException.builder().message("ConsumerName app not found").build();
    }

    @Test
    void registersAMissingConsumerAndWaitsUntilItIsActive() throws Exception {
        describes.add(notFound());
        describes.add(ConsumerStatus.CREATING);
        describes.add(ConsumerStatus.CREATING);
        when(kinesis.registerStreamConsumer(any(RegisterStreamConsumerRequest.class))).thenReturn(
                CompletableFuture.completedFuture(RegisterStreamConsumerResponse.builder().build()));
        StreamConsumerRegistration r = registration();
        r.ensure();
        assertEquals(ARN, r.consumerArn());
        verify(kinesis, times(1)).registerStreamConsumer(any(RegisterStreamConsumerRequest.class));
    }

    @Test
    void aPeerRegisteringAtTheSameTimeIsNoFailure() throws Exception {
        describes.add(notFound());
        when(kinesis.registerStreamConsumer(any(RegisterStreamConsumerRequest.class))).thenReturn(
                CompletableFuture.failedFuture(ResourceInUseException.builder().message("Consumer app exists")
                        .build()));
        StreamConsumerRegistration r = registration();
        r.ensure();
        assertEquals(ARN, r.consumerArn());
    }

    @Test
    void anExistingConsumerIsNotRegisteredAgain() throws Exception {
        StreamConsumerRegistration r = registration();
        r.ensure();
        assertEquals(ARN, r.consumerArn());
        verify(kinesis, never()).registerStreamConsumer(any(RegisterStreamConsumerRequest.class));
    }

    @Test
    void theRegistrationLimitEndsWithAMessageSayingWhatToDo() {
        for (int i = 0; i < 10; i++) {
            describes.add(notFound());
        }
        when(kinesis.registerStreamConsumer(any(RegisterStreamConsumerRequest.class))).thenReturn(
                CompletableFuture.failedFuture(LimitExceededException.builder().message("limit").build()));
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, () -> registration().ensure());
        assertTrue(e.getMessage().contains("stream orders") && e.getMessage().contains("20 registered consumers")
                && e.getMessage().contains("fanOutConsumerArn") && e.getMessage().contains("POLLING"),
                e.getMessage());
    }
}
