package io.purekinesis.producer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * close() racing with calls whose results are being handled, with a client that blocks the sender thread, and
 * completions whose executor rejects them: the returned list is exactly the records close failed, every record
 * ends once, and callbacks never run on the sender thread.
 */
@Timeout(120)
class CloseRaceTest {

    private static final String STREAM = "close-race";

    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();

    private static Throwable failure(CompletableFuture<?> f) {
        return assertThrows(ExecutionException.class, () -> Await.get(f)).getCause();
    }

    /**
     * The call's answer (a retryable entry error) is being handled when close aborts: the retry is refused by the
     * aborted collector. The record must be in close's list, not only dead-lettered behind close's back.
     */
    @Test
    void recordWhoseResultIsBeingHandledWhenCloseAbortsIsReturned() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        CompletableFuture<PutRecordsResponse> answer = new CompletableFuture<>();
        fake.then(request -> answer);
        CountDownLatch handling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .deadLetterHandler(deadLetters::add).recordMaxBufferedTime(Duration.ofHours(1))
                .aggregationEnabled(false).metrics(new ProducerMetrics() {
                    @Override
                    public void putRecordsCall(String stream, int entries, int failedEntries, long millis) {
                        handling.countDown();
                        try {
                            release.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build());
        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", "x".getBytes(UTF_8));
        producer.flush();
        Await.until("the PutRecords call", () -> !fake.putRequests().isEmpty());
        Thread sdk = new Thread(() -> answer.complete(
                fake.respond(fake.putRequests().get(0), i -> "ProvisionedThroughputExceededException")));
        sdk.start();
        assertTrue(handling.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS));

        List<FailedRecord> undelivered = producer.close(Duration.ofMillis(100));
        release.countDown();
        sdk.join(Await.DEADLINE.toMillis());
        assertFalse(sdk.isAlive(), "the handling close raced with has ended");

        assertEquals(FailureReason.PRODUCER_CLOSED,
                assertInstanceOf(RecordFailedException.class, failure(f)).reason());
        assertEquals(1, undelivered.size(), "close returns the record it failed");
        // Every completion decided so far (also any the late handling made) has run: a second dead letter would be
        // in the list by now.
        assertTrue(producer.flushSync(Await.DEADLINE), "completions still running");
        assertEquals(1, deadLetters.size());
        assertEquals(0, producer.outstandingRecords());
        assertEquals(0, producer.outstandingBytes());
    }

    /**
     * The SDK's putRecords blocks the sender thread (as credential or endpoint resolution can), so the sender does
     * not stop in time: the batch it holds must still be failed and returned by close, exactly once.
     */
    @Test
    void batchHeldByABlockedSenderIsReturnedByClose() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        fake.then(request -> {
            inCall.countDown();
            try {
                release.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CompletableFuture.completedFuture(fake.respond(request, i -> "InternalFailure"));
        });
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .producerName("close-race-blocked").deadLetterHandler(deadLetters::add)
                .recordMaxBufferedTime(Duration.ofHours(1)).aggregationEnabled(false).build());
        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", "x".getBytes(UTF_8));
        producer.flush();
        assertTrue(inCall.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS));

        List<FailedRecord> undelivered = producer.close(Duration.ofMillis(50));
        assertEquals(FailureReason.PRODUCER_CLOSED,
                assertInstanceOf(RecordFailedException.class, failure(f)).reason());
        release.countDown();
        // The sender thread handles the call's late answer, then ends; then every completion decided until then
        // (a second failure of the record would be one) has run.
        SenderAwait.senderEnded("close-race-blocked");
        assertTrue(producer.flushSync(Await.DEADLINE), "completions still running");

        assertEquals(1, undelivered.size(), "close returns the record it failed");
        assertEquals(1, deadLetters.size());
        assertEquals(0, producer.outstandingRecords());
    }

    /**
     * An add that passed the closed check is held up (here inside the injected clock) beyond close's deadline and
     * grace: it must not leave its record in the aborted pipeline with a future that never completes. It is
     * refused as if it came after close, and its budget is returned.
     */
    @Test
    void addStillRunningWhenCloseAbortsNeverLosesItsRecord() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        CountDownLatch inClock = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread[] adder = new Thread[1];
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public long millis() {
                if (Thread.currentThread() == adder[0]) {
                    inClock.countDown();
                    try {
                        release.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return System.currentTimeMillis();
            }

            @Override
            public java.time.Instant instant() {
                return java.time.Instant.ofEpochMilli(millis());
            }

            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .clock(clock).deadLetterHandler(deadLetters::add).recordMaxBufferedTime(Duration.ofHours(1))
                .build());
        fake.thenStall(); // the warm-up record stays buffered or in flight: close must fail and return it
        producer.add(STREAM, "warm-up", "w".getBytes(UTF_8));
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        adder[0] = new Thread(() -> {
            try {
                outcome.complete(producer.add(STREAM, "late", "x".getBytes(UTF_8)));
            } catch (RuntimeException e) {
                outcome.complete(e);
            }
        });
        adder[0].start();
        assertTrue(inClock.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS));

        List<FailedRecord> undelivered = producer.close(Duration.ZERO);
        release.countDown();
        Object result = Await.get(outcome); // the late add has ended: whatever it decided is decided

        assertEquals(1, undelivered.size());
        assertEquals("warm-up", undelivered.get(0).partitionKey());
        assertInstanceOf(ProducerClosedException.class, result, "refused like an add after close: " + result);
        // Every completion decided so far has run: had the late add's record been failed too, it would be here.
        assertTrue(producer.flushSync(Await.DEADLINE), "completions still running, or a record left outstanding");
        assertEquals(1, deadLetters.size(), "only the record close failed is dead-lettered");
        assertEquals(0, producer.outstandingRecords());
        assertEquals(0, producer.outstandingBytes());
    }

    /** A direct (caller-runs) callback executor must not make dead-letter handlers run on the sender thread. */
    @Test
    void directCallbackExecutorDoesNotRunCallbacksOnTheSenderThread() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.streamExists(false);
        List<String> threads = new CopyOnWriteArrayList<>();
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .producerName("direct").callbackExecutor(Runnable::run)
                .deadLetterHandler(r -> threads.add(Thread.currentThread().getName())).build());
        try {
            CompletableFuture<String> f = producer.add(STREAM, "k", "x".getBytes(UTF_8))
                    .handle((r, e) -> Thread.currentThread().getName());
            String futureThread = Await.get(f);
            assertTrue(producer.flushSync(Await.DEADLINE));
            assertEquals(1, threads.size());
            assertFalse(threads.get(0).endsWith("-sender"), "dead letter ran on " + threads.get(0));
            assertFalse(futureThread.endsWith("-sender"), "future completed on " + futureThread);
        } finally {
            producer.close(Duration.ofSeconds(1));
        }
    }

    /** A callback executor that rejects must not make dead-letter handlers run on the sender thread. */
    @Test
    void rejectedCompletionsDoNotRunOnTheSenderThread() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.streamExists(false);
        List<String> threads = new CopyOnWriteArrayList<>();
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .producerName("rejecting").callbackExecutor(task -> {
                    throw new RejectedExecutionException("full");
                }).deadLetterHandler(r -> threads.add(Thread.currentThread().getName())).build());
        try {
            CompletableFuture<RecordResult> f = producer.add(STREAM, "k", "x".getBytes(UTF_8));
            assertEquals(FailureReason.STREAM_NOT_FOUND,
                    assertInstanceOf(RecordFailedException.class, failure(f)).reason());
            assertTrue(producer.flushSync(Await.DEADLINE));
            assertEquals(1, threads.size());
            assertFalse(threads.get(0).endsWith("-sender"), "ran on " + threads.get(0));
        } finally {
            producer.close(Duration.ofSeconds(1));
        }
    }
}
