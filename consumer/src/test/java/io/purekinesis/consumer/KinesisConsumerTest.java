package io.purekinesis.consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

class KinesisConsumerTest {

    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);

    private KinesisConsumer consumer() {
        return new KinesisConsumer(ConsumerConfig.builder().applicationName("app").streamName("s").workerId("w")
                .kinesisClient(kinesis).dynamoDbClient(dynamo).build(), () -> {
                    throw new AssertionError("no processor expected");
                });
    }

    @Test
    void userClientsAreNeverClosed() throws Exception {
        KinesisConsumer c = consumer();
        c.shutdown().get(5, TimeUnit.SECONDS);
        c.close();
        verify(kinesis, never()).close();
        verify(dynamo, never()).close();
    }

    @Test
    void startFailureNamesTableAndStreamAndLeavesUserClientsOpen() {
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenReturn(CompletableFuture.failedFuture(
                new IllegalStateException("connection refused")));
        KinesisConsumer c = consumer();
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, c::start);
        assertTrue(e.getMessage().contains("lease table app") && e.getMessage().contains("stream s"),
                e.getMessage());
        verify(dynamo, never()).close();
        assertThrows(IllegalStateException.class, c::start);
    }
}
