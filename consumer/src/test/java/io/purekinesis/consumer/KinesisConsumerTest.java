package io.purekinesis.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.startup.StartupCheck;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

class KinesisConsumerTest {

    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    /**
     * The time and threads of the consumer made last: start-up retries wait in virtual time; the lease tasks a
     * started consumer schedules never run (the tests are about starting and stopping).
     */
    private ManualScheduler time;

    private KinesisConsumer consumer() {
        ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("s").workerId("w")
                .kinesisClient(kinesis).dynamoDbClient(dynamo).build();
        time = new ManualScheduler();
        return new KinesisConsumer(new ConsumerContext(config, time, new Random(), time, time, time), () -> {
            throw new AssertionError("no processor expected");
        });
    }

    private static CompletableFuture<DescribeStreamSummaryResponse> streamSummary() {
        return CompletableFuture.completedFuture(DescribeStreamSummaryResponse.builder().streamDescriptionSummary(
                StreamDescriptionSummary.builder().streamName("s")
                        .streamARN("arn:aws:kinesis:us-east-1:000000000000:stream/s")
                        .streamCreationTimestamp(Instant.parse("2026-01-01T00:00:00Z")).build()).build());
    }

    private static DescribeTableResponse active() {
        return DescribeTableResponse.builder().table(TableDescription.builder().tableName("app")
                .keySchema(k -> k.attributeName("leaseKey").keyType("HASH"))
                .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType("S"))
                .globalSecondaryIndexes(i -> i.indexName("LeaseOwnerToLeaseKeyIndex").indexStatus("ACTIVE"))
                .tableStatus(TableStatus.ACTIVE).build()).build();
    }

    /** A healthy stream and an empty, ACTIVE lease table. */
    private void healthy() {
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(streamSummary());
        when(kinesis.listShards(any(ListShardsRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ListShardsResponse.builder().shards(List.of()).build()));
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenReturn(CompletableFuture.completedFuture(
                active()));
        when(dynamo.scan(any(ScanRequest.class))).thenReturn(CompletableFuture.completedFuture(
                ScanResponse.builder().items(List.of()).build()));
        // the worker table: the heartbeat's answer is this worker's row; the fleet is this worker alone
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.completedFuture(
                UpdateItemResponse.builder().attributes(Map.of("workerId", AttributeValue.builder().s("w").build(),
                        "beatAt", AttributeValue.builder().n("0").build())).build()));
        when(dynamo.query(any(QueryRequest.class))).thenReturn(CompletableFuture.completedFuture(
                QueryResponse.builder().items(List.of()).build()));
    }

    private static KinesisException kinesisError(String code, int status) {
        return (KinesisException) KinesisException.builder().message(code + " message").statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code + " message").build())
                .build();
    }

    private static DynamoDbException dynamoError(String code, int status) {
        return (DynamoDbException) DynamoDbException.builder().message(code + " message").statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code + " message").build())
                .build();
    }

    @Test
    void userClientsAreNeverClosed() throws Exception {
        KinesisConsumer c = consumer();
        c.shutdown().get(30, TimeUnit.SECONDS);
        c.close();
        verify(kinesis, never()).close();
        verify(dynamo, never()).close();
    }

    @Test
    void startFailureNamesTableAndStreamAndLeavesUserClientsOpen() {
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(streamSummary());
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenReturn(CompletableFuture.failedFuture(
                new IllegalStateException("connection refused")));
        KinesisConsumer c = consumer();
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, c::start);
        assertTrue(e.getMessage().contains("lease table app") && e.getMessage().contains("stream s")
                && e.getMessage().contains("dynamodb:DescribeTable"), e.getMessage());
        verify(dynamo, never()).close();
        IllegalStateException again = assertThrows(IllegalStateException.class, c::start);
        assertTrue(again.getMessage().contains("failed to start") && again.getMessage().contains("build a new one"),
                again.getMessage());
    }

    @Test
    void transientFailuresAtStartAreRetried() throws Exception {
        healthy();
        AtomicInteger describes = new AtomicInteger();
        AtomicInteger summaries = new AtomicInteger();
        AtomicBoolean dynamoFailed = new AtomicBoolean();
        // the first DescribeTable sent after the stream check succeeded fails (the lease table's own is sent early,
        // alongside the stream check, so this is the worker table's)
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenAnswer(inv -> {
            describes.incrementAndGet();
            return summaries.get() >= 4 && dynamoFailed.compareAndSet(false, true)
                    ? CompletableFuture.failedFuture(DynamoDbException.builder().message("service unavailable")
                            .statusCode(503).build())
                    : CompletableFuture.completedFuture(active());
        });
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenAnswer(inv ->
                switch (summaries.incrementAndGet()) {
                    case 1 -> CompletableFuture.failedFuture(SdkClientException.create("connection reset"));
                    case 2 -> CompletableFuture.failedFuture(LimitExceededException.builder().message("rate exceeded")
                            .build());
                    case 3 -> CompletableFuture.failedFuture(kinesisError("ThrottlingException", 400));
                    default -> streamSummary();
                });
        KinesisConsumer c = consumer();
        c.start();
        // three failed stream checks, a good one before the DynamoDB failure, then the good one of the last attempt
        assertEquals(5, summaries.get());
        assertTrue(dynamoFailed.get());
        assertTrue(describes.get() >= 2);
        c.shutdown().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aTransientFailureOfTheEarlyTableDescriptionIsRetried() throws Exception {
        healthy();
        AtomicInteger describes = new AtomicInteger();
        // the first DescribeTable is the lease table's, sent alongside the stream check: its 503 surfaces when the
        // start uses it, and the start is tried again
        when(dynamo.describeTable(any(DescribeTableRequest.class))).thenAnswer(inv -> describes.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(DynamoDbException.builder().message("service unavailable")
                        .statusCode(503).build())
                : CompletableFuture.completedFuture(active()));
        KinesisConsumer c = consumer();
        c.start();
        assertTrue(describes.get() >= 3, describes.get() + " DescribeTable calls: the start was not tried again");
        c.shutdown().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aMissingStreamFailsTheStartAtOnceNamingTheStream() {
        healthy();
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(
                CompletableFuture.failedFuture(ResourceNotFoundException.builder()
                        .message("Stream s under account 1 not found.").statusCode(400).build()));
        KinesisConsumer c = consumer();
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, c::start);
        assertTrue(e.getMessage().contains("stream s") && e.getMessage().contains("not found")
                && e.getMessage().contains("region"), e.getMessage());
        verify(kinesis, times(1)).describeStreamSummary(any(DescribeStreamSummaryRequest.class));
        // the lease table's description may have been read meanwhile; nothing is created
        verify(dynamo, never()).createTable(any(CreateTableRequest.class));
    }

    @Test
    void accessDeniedOnTheStreamFailsTheStartAtOnceNamingOperationResourceAndSetting() {
        healthy();
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(
                CompletableFuture.failedFuture(kinesisError("AccessDeniedException", 400)));
        KinesisConsumer c = consumer();
        long start = time.nanoTime();
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, c::start);
        assertTrue(time.nanoTime() - start < TimeUnit.SECONDS.toNanos(StartupCheck.RETRY_TIME.toSeconds()),
                "not retried until the start deadline");
        verify(kinesis, times(1)).describeStreamSummary(any(DescribeStreamSummaryRequest.class));
        assertTrue(e.getMessage().contains("kinesis:DescribeStreamSummary") && e.getMessage().contains("stream s")
                && e.getMessage().contains("credentialsProvider") && e.getMessage().contains("IAM"),
                e.getMessage());
    }

    @Test
    void credentialsThatCannotBeLoadedFailTheStartAtOnce() {
        healthy();
        // as the SDK fails the call: with what the credentials provider threw (known by its frames, not wording)
        SdkClientException noCredentials = assertThrows(SdkClientException.class, () -> AwsCredentialsProviderChain
                .builder().credentialsProviders(() -> {
                    throw SdkClientException.create("nothing configured");
                }).build().resolveCredentials());
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(
                CompletableFuture.failedFuture(noCredentials));
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, consumer()::start);
        verify(kinesis, times(1)).describeStreamSummary(any(DescribeStreamSummaryRequest.class));
        assertTrue(e.getMessage().contains("No AWS credentials") && e.getMessage().contains("credentialsProvider"),
                e.getMessage());
    }

    @Test
    void credentialsOfAMissingProfileFailTheStartAtOnceWithRealClients() {
        KinesisConsumer c = new KinesisConsumer(ConsumerConfig.builder().applicationName("app").streamName("s")
                .workerId("w").region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .kinesisEndpoint(java.net.URI.create("http://127.0.0.1:9"))
                .dynamoDbEndpoint(java.net.URI.create("http://127.0.0.1:9"))
                .credentialsProvider(software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider
                        .create("purekinesis-no-such-profile")).build(), () -> {
                            throw new AssertionError("no processor expected");
                        });
        long start = System.nanoTime();
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, c::start);
        System.out.println(e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(StartupCheck.RETRY_TIME.toSeconds()),
                "not retried until the start deadline: " + e.getMessage());
        assertTrue(e.getMessage().contains("kinesis:DescribeStreamSummary") && e.getMessage()
                .contains("credentialsProvider"), e.getMessage());
    }

    @Test
    void refusedDynamoDbCredentialsFailTheStartAtOnceNamingTheTable() {
        healthy();
        for (String code : List.of("UnrecognizedClientException", "ExpiredTokenException")) {
            when(dynamo.scan(any(ScanRequest.class))).thenReturn(CompletableFuture.failedFuture(
                    dynamoError(code, 400)));
            KinesisConsumerException e = assertThrows(KinesisConsumerException.class, consumer()::start);
            assertTrue(e.getMessage().contains("dynamodb:Scan on lease table app") && e.getMessage().contains(code)
                    && e.getMessage().contains("credentialsProvider"), e.getMessage());
        }
        verify(dynamo, times(2)).scan(any(ScanRequest.class));
    }

    @Test
    void lifecycleMessagesSayWhatHappened() throws Exception {
        healthy();
        KinesisConsumer running = consumer();
        running.start();
        assertTrue(assertThrows(IllegalStateException.class, running::start).getMessage()
                .contains("already running"));
        CompletableFuture<Void> first = running.shutdown();
        assertSame(first, running.shutdown(), "a second shutdown is the same shutdown");
        first.get(30, TimeUnit.SECONDS);
        String afterShutdown = assertThrows(IllegalStateException.class, running::start).getMessage();
        assertTrue(afterShutdown.contains("was shut down") && afterShutdown.contains("runs once"), afterShutdown);
        assertFalse(afterShutdown.contains("already started"), afterShutdown);

        KinesisConsumer closed = consumer();
        closed.start();
        assertTrue(closed.close(java.time.Duration.ofSeconds(30)));
        assertTrue(assertThrows(IllegalStateException.class, closed::start).getMessage().contains("was closed"));

        KinesisConsumer never = consumer();
        never.shutdown().get(30, TimeUnit.SECONDS);
        String beforeStart = assertThrows(IllegalStateException.class, never::start).getMessage();
        assertTrue(beforeStart.contains("before it was started"), beforeStart);
    }

    @Test
    void classifiesStartFailures() {
        assertTrue(Failures.isTransient(DynamoDbException.builder().statusCode(500).build()));
        assertTrue(Failures.isTransient(ProvisionedThroughputExceededException.builder().build()));
        assertTrue(Failures.isTransient(ApiCallTimeoutException.create(1000)));
        assertFalse(Failures.isTransient(DynamoDbException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException").build()).build()));
        assertFalse(Failures.isTransient(DynamoDbException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("ValidationException").build()).build()));
        assertFalse(Failures.isTransient(ResourceNotFoundException.builder().statusCode(400).build()));
    }
}
