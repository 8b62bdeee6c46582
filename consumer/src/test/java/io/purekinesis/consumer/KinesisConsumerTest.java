package io.purekinesis.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
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

    private static DescribeTableResponse active() {
        return DescribeTableResponse.builder().table(TableDescription.builder().tableName("app")
                .tableStatus(TableStatus.ACTIVE).build()).build();
    }

    @Test
    void transientFailuresAtStartAreRetried() throws Exception {
        AtomicInteger describes = new AtomicInteger();
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenAnswer(inv -> describes.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(DynamoDbException.builder().message("service unavailable")
                        .statusCode(503).build())
                : CompletableFuture.completedFuture(active()));
        when(dynamo.scan(any(ScanRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ScanResponse.builder().items(List.of()).build()));
        AtomicInteger lists = new AtomicInteger();
        when(kinesis.listShards(any(ListShardsRequest.class))).thenAnswer(inv -> switch (lists.incrementAndGet()) {
            case 1 -> CompletableFuture.failedFuture(SdkClientException.create("connection reset"));
            case 2 -> CompletableFuture.failedFuture(LimitExceededException.builder().message("rate exceeded")
                    .build());
            case 3 -> CompletableFuture.failedFuture(KinesisException.builder().message("throttled")
                    .awsErrorDetails(AwsErrorDetails.builder().errorCode("ThrottlingException").build())
                    .statusCode(400).build());
            default -> CompletableFuture.completedFuture(ListShardsResponse.builder().shards(List.of()).build());
        });
        KinesisConsumer c = consumer();
        c.start();
        // three failed stream checks, a good one before the DynamoDB failure, then the check and the sync's listing
        assertEquals(6, lists.get());
        assertTrue(describes.get() >= 2);
        c.shutdown().get(5, TimeUnit.SECONDS);
    }

    @Test
    void aMissingStreamFailsTheStartAtOnceNamingTheStream() {
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenReturn(CompletableFuture.completedFuture(
                active()));
        when(dynamo.scan(any(ScanRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ScanResponse.builder().items(List.of()).build()));
        when(kinesis.listShards(any(ListShardsRequest.class))).thenReturn(CompletableFuture.failedFuture(
                ResourceNotFoundException.builder().message("Stream s under account 1 not found.").statusCode(400)
                        .build()));
        KinesisConsumer c = consumer();
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, c::start);
        assertTrue(e.getMessage().contains("stream s") && e.getMessage().contains("not found"), e.getMessage());
        verify(kinesis, times(1)).listShards(any(ListShardsRequest.class));
        verify(dynamo, never()).createTable(any(CreateTableRequest.class));
        verify(dynamo, never()).describeTable(any(DescribeTableRequest.class));
    }

    @Test
    void classifiesStartFailures() {
        assertTrue(KinesisConsumer.isTransient(DynamoDbException.builder().statusCode(500).build()));
        assertTrue(KinesisConsumer.isTransient(ProvisionedThroughputExceededException.builder().build()));
        assertTrue(KinesisConsumer.isTransient(ApiCallTimeoutException.create(1000)));
        assertFalse(KinesisConsumer.isTransient(DynamoDbException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException").build()).build()));
        assertFalse(KinesisConsumer.isTransient(DynamoDbException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("ValidationException").build()).build()));
        assertFalse(KinesisConsumer.isTransient(ResourceNotFoundException.builder().statusCode(400).build()));
    }
}
