package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.FaultInjector.Fault;
import io.purekinesis.testkit.FaultInjector.When;
import io.purekinesis.testkit.Streams.ShardRecord;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** Faults injected into clients of the real local endpoints; setup and checks go through the shared, clean clients. */
@ExtendWith(LocalEndpointsExtension.class)
class FaultInjectorTest {

    private final LocalEndpoints endpoints;
    private final KinesisAsyncClient kinesis;
    private final DynamoDbAsyncClient dynamoDb;

    FaultInjectorTest(LocalEndpoints endpoints, KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamoDb) {
        this.endpoints = endpoints;
        this.kinesis = kinesis;
        this.dynamoDb = dynamoDb;
    }

    @Test
    void entriesReportedFailedAreNotStoredAndTheOthersAreStoredAsReported() {
        String stream = newStream("record-faults", 2);
        FaultInjector faults = FaultInjector.builder().seed(7)
                .failRecords(Fault.RECORD_THROTTLED, 0.3, When.always()).build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            PutRecordsResponse response = putHundred(faulty, stream, "k");

            assertEquals(100, response.records().size());
            assertEquals(30, response.failedRecordCount());
            List<PutRecordsResultEntry> failed = response.records().stream().filter(r -> r.errorCode() != null)
                    .toList();
            assertEquals(30, failed.size());
            for (PutRecordsResultEntry entry : failed) {
                assertEquals("ProvisionedThroughputExceededException", entry.errorCode());
                assertNotNull(entry.errorMessage());
                assertNull(entry.sequenceNumber());
                assertNull(entry.shardId());
            }

            Map<String, ShardRecord> stored = Streams.readAll(kinesis, stream).stream()
                    .collect(Collectors.toMap(ShardRecord::partitionKey, Function.identity()));
            assertEquals(70, stored.size());
            for (int i = 0; i < 100; i++) {
                PutRecordsResultEntry result = response.records().get(i);
                ShardRecord record = stored.get("k" + i);
                if (result.errorCode() != null) {
                    assertNull(record, "k" + i + " was reported failed but is in the stream");
                } else {
                    assertNotNull(record, "k" + i + " was reported stored but is not in the stream");
                    assertEquals(result.sequenceNumber(), record.sequenceNumber());
                    assertEquals(result.shardId(), record.shardId());
                    assertEquals("v" + i, record.record().data().asUtf8String());
                }
            }
            assertEquals(30, faults.injected(Fault.RECORD_THROTTLED));
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void sameSeedChoosesTheSameEntriesAndAnotherSeedOthers() {
        String stream = newStream("seeds", 1);
        try {
            List<Integer> first = failedPositions(stream, 11, Fault.RECORD_INTERNAL_FAILURE);
            List<Integer> again = failedPositions(stream, 11, Fault.RECORD_INTERNAL_FAILURE);
            List<Integer> other = failedPositions(stream, 12, Fault.RECORD_INTERNAL_FAILURE);
            assertEquals(30, first.size());
            assertEquals(first, again);
            assertNotEquals(first, other);
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void scheduledThrottlingFailsExactlyTheNextTwoCallsWhichNeverReachTheStream() {
        String stream = newStream("throttle", 1);
        FaultInjector faults = FaultInjector.builder()
                .fail(Fault.THROTTLING, "PutRecords", When.firstCalls(2)).build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            for (int call = 1; call <= 2; call++) {
                ProvisionedThroughputExceededException e = assertThrows(ProvisionedThroughputExceededException.class,
                        () -> putOne(faulty, stream, "throttled"));
                assertEquals(400, e.statusCode());
                assertEquals("ProvisionedThroughputExceededException", e.awsErrorDetails().errorCode());
                assertTrue(e.isThrottlingException());
            }
            assertEquals(0, putOne(faulty, stream, "third").failedRecordCount());
            assertEquals(0, putOne(faulty, stream, "fourth").failedRecordCount());

            assertEquals(List.of("third", "fourth"), Streams.readAll(kinesis, stream).stream()
                    .map(ShardRecord::partitionKey).toList());
            assertEquals(2, faults.injected(Fault.THROTTLING));
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void theSdksOwnRetriesGetPastScheduledThrottlingAndEachAttemptCounts() {
        String stream = newStream("retried", 1);
        FaultInjector faults = FaultInjector.builder()
                .fail(Fault.THROTTLING, "PutRecords", When.firstCalls(2)).build();
        try (KinesisAsyncClient retrying = endpoints.kinesisClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(faults)).build()) {
            assertEquals(0, putOne(retrying, stream, "after-retries").failedRecordCount());
            assertEquals(2, faults.injected(Fault.THROTTLING));
            assertEquals(1, Streams.readAll(kinesis, stream).size());
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void getRecordsFailsWithExpiredIteratorAndWorksWhenFaultsAreOff() {
        String stream = newStream("expired", 1);
        FaultInjector faults = FaultInjector.builder()
                .fail(Fault.EXPIRED_ITERATOR, "GetRecords", When.always()).build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            putOne(faulty, stream, "one");
            String iterator = Futures.join(faulty.getShardIterator(b -> b.streamName(stream)
                    .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.TRIM_HORIZON)))
                    .shardIterator();

            ExpiredIteratorException e = assertThrows(ExpiredIteratorException.class,
                    () -> Futures.join(faulty.getRecords(b -> b.shardIterator(iterator))));
            assertEquals(400, e.statusCode());

            faults.enabled(false);
            assertEquals(1, Futures.join(faulty.getRecords(b -> b.shardIterator(iterator))).records().size());
            assertEquals(1, faults.injected(Fault.EXPIRED_ITERATOR));
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void conditionalCheckFailureOnUpdateItemLeavesTheItemUnchanged() {
        String table = "faults-" + Streams.uniqueStreamName("t");
        Futures.join(dynamoDb.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder().attributeName("leaseKey")
                        .attributeType(ScalarAttributeType.S).build())
                .keySchema(KeySchemaElement.builder().attributeName("leaseKey").keyType(KeyType.HASH).build())));
        Map<String, AttributeValue> key = Map.of("leaseKey", AttributeValue.fromS("shard-0"));
        Futures.join(dynamoDb.putItem(b -> b.tableName(table).item(Map.of(
                "leaseKey", AttributeValue.fromS("shard-0"), "leaseCounter", AttributeValue.fromN("1")))));
        FaultInjector faults = FaultInjector.builder()
                .fail(Fault.CONDITIONAL_CHECK_FAILED, "UpdateItem", When.firstCalls(1)).build();
        try (DynamoDbAsyncClient faulty = endpoints.dynamoDbClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(faults)
                        .retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
            Runnable renew = () -> Futures.join(faulty.updateItem(b -> b.tableName(table).key(key)
                    .conditionExpression("leaseCounter = :c")
                    .updateExpression("SET leaseCounter = leaseCounter + :one")
                    .expressionAttributeValues(Map.of(":c", AttributeValue.fromN("1"),
                            ":one", AttributeValue.fromN("1")))));

            ConditionalCheckFailedException e = assertThrows(ConditionalCheckFailedException.class, renew::run);
            assertEquals(400, e.statusCode());
            assertEquals("1", counter(table, key));
            renew.run();
            assertEquals("2", counter(table, key));
            assertEquals(1, faults.injected(Fault.CONDITIONAL_CHECK_FAILED));
        } finally {
            Futures.join(dynamoDb.deleteTable(b -> b.tableName(table)));
        }
    }

    @Test
    void otherWholeCallFaultsAndLatencyAreCounted() {
        FaultInjector faults = FaultInjector.builder()
                .fail(Fault.INTERNAL_FAILURE, "ListStreams", When.calls(1, 1))
                .fail(Fault.SERVICE_UNAVAILABLE, "ListStreams", When.calls(2, 2))
                .fail(Fault.TIMEOUT, "ListStreams", When.calls(3, 3))
                .fail(Fault.CONNECTION_RESET, "ListStreams", When.calls(4, 4))
                .delay(FaultInjector.ANY_OPERATION, Duration.ofMillis(300), When.calls(5, 5))
                .fail(Fault.THROTTLING, "ListTables", When.always())
                .build();
        try (KinesisAsyncClient faulty = kinesisWith(faults);
             DynamoDbAsyncClient faultyDynamoDb = endpoints.dynamoDbClientBuilder()
                     .overrideConfiguration(c -> c.addExecutionInterceptor(faults)
                             .retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
            AwsServiceException internal = assertThrows(AwsServiceException.class, () -> listStreams(faulty));
            assertEquals(500, internal.statusCode());
            assertEquals("InternalFailure", internal.awsErrorDetails().errorCode());
            AwsServiceException unavailable = assertThrows(AwsServiceException.class, () -> listStreams(faulty));
            assertEquals(503, unavailable.statusCode());
            SdkClientException timeout = assertThrows(SdkClientException.class, () -> listStreams(faulty));
            assertInstanceOf(SocketTimeoutException.class, timeout.getCause());
            SdkClientException reset = assertThrows(SdkClientException.class, () -> listStreams(faulty));
            assertInstanceOf(SocketException.class, reset.getCause());
            assertEquals("Connection reset", reset.getCause().getMessage());
            long start = System.nanoTime();
            listStreams(faulty);
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(300).toNanos());
            var throttled = assertThrows(
                    software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException.class,
                    () -> Futures.join(faultyDynamoDb.listTables()));
            assertTrue(throttled.isThrottlingException());

            Map<Fault, Long> counts = faults.injectedCounts();
            assertEquals(Fault.values().length, counts.size());
            for (Fault fault : List.of(Fault.INTERNAL_FAILURE, Fault.SERVICE_UNAVAILABLE, Fault.TIMEOUT,
                    Fault.CONNECTION_RESET, Fault.LATENCY, Fault.THROTTLING)) {
                assertEquals(1L, counts.get(fault), fault.name());
            }
            assertEquals(0L, counts.get(Fault.RECORD_THROTTLED));
        }
    }

    @Test
    void disabledInjectsNothingAndDoesNotCountCallsAndTimeWindowsFollowTheClock() {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        FaultInjector faults = FaultInjector.builder().clock(clock)
                .fail(Fault.INTERNAL_FAILURE, "ListStreams", When.firstCalls(1))
                .fail(Fault.SERVICE_UNAVAILABLE, "DescribeLimits",
                        When.during(Duration.ofSeconds(10), Duration.ofSeconds(20)))
                .build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            faults.enabled(false);
            assertTrue(!faults.isEnabled());
            listStreams(faulty);
            faults.enabled(true);
            assertThrows(AwsServiceException.class, () -> listStreams(faulty));
            listStreams(faulty);

            Futures.join(faulty.describeLimits());
            clock.advance(Duration.ofSeconds(10));
            assertEquals(503, assertThrows(AwsServiceException.class,
                    () -> Futures.join(faulty.describeLimits())).statusCode());
            clock.advance(Duration.ofSeconds(10));
            Futures.join(faulty.describeLimits());
            assertEquals(1, faults.injected(Fault.INTERNAL_FAILURE));
            assertEquals(1, faults.injected(Fault.SERVICE_UNAVAILABLE));
        }
    }

    @Test
    void ratesAreDrawnFromTheSeedPerCallSoTheSameSeedFailsTheSameCalls() {
        assertEquals(failingCalls(5), failingCalls(5));
        assertNotEquals(failingCalls(5), failingCalls(6));
    }

    @Test
    void concurrentPutRecordsEachLoseTheirShareAndTheCountersAddUp() {
        String stream = newStream("concurrent", 2);
        FaultInjector faults = FaultInjector.builder().seed(3)
                .failRecords(Fault.RECORD_INTERNAL_FAILURE, 0.1, When.always()).build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            List<PutRecordsResponse> responses = IntStream.range(0, 8).parallel()
                    .mapToObj(i -> putHundred(faulty, stream, "c" + i + "-")).toList();
            responses.forEach(r -> assertEquals(10, r.failedRecordCount()));
            assertEquals(80, faults.injected(Fault.RECORD_INTERNAL_FAILURE));
            assertEquals(720, Streams.readAll(kinesis, stream).size());
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void worksInSynchronousClientsToo() {
        String stream = newStream("sync", 1);
        FaultInjector faults = FaultInjector.builder()
                .fail(Fault.THROTTLING, "PutRecords", When.firstCalls(1))
                .failRecords(Fault.RECORD_THROTTLED, 0.5, When.always()).build();
        try (KinesisClient faulty = endpoints.kinesis().syncClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(faults)
                        .retryStrategy(AwsRetryStrategy.doNotRetry())).build()) {
            List<PutRecordsRequestEntry> entries = IntStream.range(0, 10)
                    .mapToObj(i -> PutRecordsRequestEntry.builder().partitionKey("p" + i)
                            .data(SdkBytes.fromUtf8String("v" + i)).build())
                    .toList();
            assertThrows(ProvisionedThroughputExceededException.class,
                    () -> faulty.putRecords(b -> b.streamName(stream).records(entries)));
            PutRecordsResponse response = faulty.putRecords(b -> b.streamName(stream).records(entries));
            assertEquals(5, response.failedRecordCount());
            assertEquals(5, Streams.readAll(kinesis, stream).size());
            assertEquals(1, faults.injected(Fault.THROTTLING));
            assertEquals(5, faults.injected(Fault.RECORD_THROTTLED), "only entries reported failed count");
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    @Test
    void badPlansAreRejectedWhenBuilt() {
        FaultInjector.Builder builder = FaultInjector.builder();
        assertThrows(IllegalArgumentException.class, () -> When.rate(1.5));
        assertThrows(IllegalArgumentException.class, () -> When.firstCalls(-1));
        assertThrows(IllegalArgumentException.class, () -> When.calls(0, 3));
        assertThrows(IllegalArgumentException.class, () -> When.during(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> builder.failRecords(Fault.THROTTLING, 0.5, When.always()));
        assertThrows(IllegalArgumentException.class,
                () -> builder.failRecords(Fault.RECORD_THROTTLED, 1.1, When.always()));
        assertThrows(IllegalArgumentException.class,
                () -> builder.fail(Fault.RECORD_THROTTLED, "PutRecords", When.always()));
        assertThrows(IllegalArgumentException.class, () -> builder.fail(Fault.LATENCY, "PutRecords", When.always()));
        assertThrows(IllegalArgumentException.class,
                () -> builder.fail(Fault.EXPIRED_ITERATOR, "PutRecords", When.always()));
        assertThrows(IllegalArgumentException.class,
                () -> builder.fail(Fault.CONDITIONAL_CHECK_FAILED, "Scan", When.always()));
        assertThrows(IllegalArgumentException.class, () -> builder.fail(Fault.THROTTLING, " ", When.always()));
        assertThrows(IllegalArgumentException.class,
                () -> builder.delay("GetRecords", Duration.ofMillis(-1), When.always()));
    }

    private List<Integer> failedPositions(String stream, long seed, Fault fault) {
        FaultInjector faults = FaultInjector.builder().seed(seed).failRecords(fault, 0.3, When.always()).build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            PutRecordsResponse response = putHundred(faulty, stream, "s" + seed);
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < response.records().size(); i++) {
                if (response.records().get(i).errorCode() != null) {
                    assertEquals("InternalFailure", response.records().get(i).errorCode());
                    positions.add(i);
                }
            }
            return positions;
        }
    }

    private List<Integer> failingCalls(long seed) {
        FaultInjector faults = FaultInjector.builder().seed(seed)
                .fail(Fault.SERVICE_UNAVAILABLE, "ListStreams", When.rate(0.5)).build();
        List<Integer> failing = new ArrayList<>();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            for (int call = 1; call <= 30; call++) {
                try {
                    listStreams(faulty);
                } catch (AwsServiceException e) {
                    failing.add(call);
                }
            }
        }
        assertTrue(failing.size() > 5 && failing.size() < 25, failing.toString());
        assertEquals(failing.size(), faults.injected(Fault.SERVICE_UNAVAILABLE));
        return failing;
    }

    private String counter(String table, Map<String, AttributeValue> key) {
        return Futures.join(dynamoDb.getItem(b -> b.tableName(table).key(key).consistentRead(true)))
                .item().get("leaseCounter").n();
    }

    private KinesisAsyncClient kinesisWith(FaultInjector faults) {
        return endpoints.kinesisClientBuilder().overrideConfiguration(c -> c.addExecutionInterceptor(faults)
                .retryStrategy(AwsRetryStrategy.doNotRetry())).build();
    }

    private String newStream(String prefix, int shards) {
        String stream = Streams.uniqueStreamName(prefix);
        Streams.createStream(kinesis, stream, shards);
        return stream;
    }

    private static PutRecordsResponse putHundred(KinesisAsyncClient client, String stream, String keyPrefix) {
        List<PutRecordsRequestEntry> entries = IntStream.range(0, 100)
                .mapToObj(i -> PutRecordsRequestEntry.builder().partitionKey(keyPrefix + i)
                        .data(SdkBytes.fromUtf8String("v" + i)).build())
                .toList();
        return Futures.join(client.putRecords(b -> b.streamName(stream).records(entries)));
    }

    private static PutRecordsResponse putOne(KinesisAsyncClient client, String stream, String partitionKey) {
        return Futures.join(client.putRecords(b -> b.streamName(stream).records(PutRecordsRequestEntry.builder()
                .partitionKey(partitionKey).data(SdkBytes.fromUtf8String(partitionKey)).build())));
    }

    /**
     * The delay is long, and each check compares with it rather than with a short bound: a blocked caller would
     * return after the whole delay, and a call held up behind the delayed one would end after its answer.
     */
    @Test
    void latencyOnAnAsyncClientDelaysTheAnswerNotTheCaller() {
        Duration delay = Duration.ofSeconds(10);
        FaultInjector faults = FaultInjector.builder()
                .delay("ListStreams", delay, When.calls(2, 2))
                .build();
        try (KinesisAsyncClient faulty = kinesisWith(faults)) {
            listStreams(faulty); // warm: connection and marshallers
            long start = System.nanoTime();
            java.util.concurrent.CompletableFuture<?> answer = faulty.listStreams();
            long returnedAfter = System.nanoTime() - start;
            listStreams(faulty); // not held up by the delayed one
            boolean answeredBeforeTheOtherCall = answer.isDone();
            Futures.join(answer);
            long answeredAfter = System.nanoTime() - start;
            assertTrue(returnedAfter < delay.toNanos(), "the caller was blocked " + returnedAfter + " ns");
            assertFalse(answeredBeforeTheOtherCall, "another call waited for the delayed answer");
            assertTrue(answeredAfter >= delay.toNanos(), "answered after " + answeredAfter + " ns");
            assertEquals(1, faults.injected(Fault.LATENCY));
        }
    }

    private static void listStreams(KinesisAsyncClient client) {
        Futures.join(client.listStreams());
    }
}
