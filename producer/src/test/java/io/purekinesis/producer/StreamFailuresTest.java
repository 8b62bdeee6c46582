package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.core.exception.SdkClientException;

/** Failures name their cause; authentication and authorization failures are not retried until the TTL. */
@Timeout(60)
class StreamFailuresTest extends FakeClientProducerTest {

    private static final String STREAM = "causes";

    /** What the default chain throws when nothing is configured (a real chain, so a real stack trace). */
    static SdkClientException noCredentials() {
        try {
            AwsCredentialsProviderChain.builder().credentialsProviders(() -> {
                throw SdkClientException.create("Unable to load credentials from system settings. Access key must be "
                        + "specified either via environment variable (AWS_ACCESS_KEY_ID) or system property "
                        + "(aws.accessKeyId).");
            }).build().resolveCredentials();
        } catch (SdkClientException e) {
            return e;
        }
        throw new AssertionError("the chain resolved credentials");
    }

    /** Waits until every decided record's completion (its dead letter too) has run, then counts dead letters. */
    private void awaitDeadLetters(int n) throws InterruptedException {
        assertTrue(producer.flushSync(Await.DEADLINE), "completions still running");
        assertEquals(n, deadLetters.size());
    }

    @Test
    void aRecordThatExpiredWaitingForTheShardMapCarriesTheLastLoadError() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.loadFailure(name -> SdkClientException.create("Unable to execute HTTP request: Connection refused: "
                + "localhost/127.0.0.1:4599"));
        producer = KinesisProducer.create(config(fake).recordTtl(Duration.ofMillis(700)).build());
        RecordFailedException e = failure(producer.add(STREAM, "k", new byte[] {1}));
        assertEquals(FailureReason.TTL_EXPIRED, e.reason());
        assertEquals("SdkClientException", e.errorCode());
        assertTrue(e.errorMessage().contains("last ListShards error: SdkClientException: Unable to execute HTTP "
                + "request: Connection refused"), e.errorMessage());
        assertInstanceOf(SdkClientException.class, e.getCause());
        awaitDeadLetters(1);
        FailedRecord dead = deadLetters.get(0);
        assertEquals("SdkClientException", dead.lastErrorCode());
        assertTrue(dead.lastErrorMessage().contains("Connection refused"), dead.lastErrorMessage());
    }

    @Test
    void accessDeniedOnListShardsFailsAtOnceAsNotAuthorizedNamingTheStreamAndThePolicy() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.loadFailure(name -> FakeKinesisClient.serviceError("AccessDeniedException", 400));
        producer = KinesisProducer.create(config(fake).build());
        RecordFailedException e = failure(producer.add(STREAM, "k", new byte[] {1}));
        assertEquals(FailureReason.NOT_AUTHORIZED, e.reason());
        assertEquals("AccessDeniedException", e.errorCode());
        assertTrue(e.errorMessage().contains("stream 'causes'"), e.errorMessage());
        assertTrue(e.errorMessage().contains("kinesis:ListShards"), e.errorMessage());
        assertTrue(e.errorMessage().contains("IAM policy"), e.errorMessage());
        awaitDeadLetters(1);
        assertEquals(FailureReason.NOT_AUTHORIZED, deadLetters.get(0).reason());
        // Remembered: the next records of the stream fail at once, without another ListShards.
        int calls = fake.listShardsRequests().size();
        RecordFailedException again = failure(producer.add(STREAM, "k2", new byte[] {2}));
        assertEquals(FailureReason.NOT_AUTHORIZED, again.reason());
        assertTrue(again.errorMessage().contains("records to it fail at once until"), again.errorMessage());
        assertEquals(calls, fake.listShardsRequests().size());
    }

    @Test
    void credentialsThatCannotBeLoadedAreNotRetriedUntilTheTtl() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.loadFailure(name -> noCredentials());
        producer = KinesisProducer.create(config(fake).recordTtl(Duration.ofMinutes(10)).build());
        RecordFailedException e = failure(producer.add(STREAM, "k", new byte[] {1}));
        assertEquals(FailureReason.NOT_AUTHORIZED, e.reason());
        assertTrue(e.errorMessage().contains("no AWS credentials could be loaded"), e.errorMessage());
        assertTrue(e.errorMessage().contains("credentialsProvider"), e.errorMessage());
        assertTrue(e.errorMessage().contains("stream 'causes'"), e.errorMessage());
        assertEquals(1, fake.listShardsRequests().size(), "not retried");
    }

    @Test
    void aPutRecordsCallRefusedForItsCredentialsIsNotRetried() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailCall("UnrecognizedClientException", 400);
        producer = KinesisProducer.create(config(fake).recordTtl(Duration.ofMinutes(10))
                .recordMaxBufferedTime(Duration.ofMillis(1)).build());
        RecordFailedException e = failure(producer.add(STREAM, "k", new byte[] {1}));
        assertEquals(FailureReason.NOT_AUTHORIZED, e.reason());
        assertEquals(1, e.attempts().size());
        assertEquals(1, fake.putRequests().size());
        assertTrue(e.errorMessage().contains("Kinesis refused the credentials for PutRecords on stream 'causes'"),
                e.errorMessage());
    }

    @Test
    void aStreamDeletedWhileProducingFailsItsRecordsAsNotFoundAndThenAtOnce() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        // The producer remembers a missing stream for a while (1 s at first): on a busy machine real time could pass
        // it between the two adds, so time stands still here and each add is flushed instead.
        ManualClock clock = new ManualClock(1_000_000);
        producer = KinesisProducer.create(config(fake).clock(clock).build());
        CompletableFuture<RecordResult> first = producer.add(STREAM, "k", new byte[] {1});
        producer.flush();
        Await.get(first);
        fake.streamExists(false);
        CompletableFuture<RecordResult> second = producer.add(STREAM, "k", new byte[] {2});
        producer.flush();
        RecordFailedException e = failure(second);
        assertEquals(FailureReason.STREAM_NOT_FOUND, e.reason());
        int puts = fake.putRequests().size();
        CompletableFuture<RecordResult> third = producer.add(STREAM, "k", new byte[] {3});
        producer.flush();
        RecordFailedException again = failure(third);
        assertEquals(FailureReason.STREAM_NOT_FOUND, again.reason());
        assertEquals(puts, fake.putRequests().size(), "remembered: no call for a stream known to be gone");
    }

    @Test
    void aPipelineRemembersNothingOnceTheStreamWorksAgain() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.streamExists(false);
        ManualClock clock = new ManualClock(1_000_000);
        producer = KinesisProducer.create(config(fake).clock(clock).build());
        CompletableFuture<RecordResult> first = producer.add(STREAM, "k", new byte[] {1});
        producer.flush();
        assertEquals(FailureReason.STREAM_NOT_FOUND, failure(first).reason());
        fake.streamExists(true);
        // The failure is remembered for 1 s (then the stream is tried again): past it, the next add loads the map.
        clock.advance(Duration.ofMillis(1_001));
        CompletableFuture<RecordResult> second = producer.add(STREAM, "k", new byte[] {2});
        producer.flush();
        RecordResult stored = Await.get(second);
        assertNotNull(stored);
        assertEquals(0, producer.streams().failedStreams());
    }
}
