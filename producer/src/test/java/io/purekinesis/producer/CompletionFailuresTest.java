package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * Every decided record is completed exactly once whatever throws while completing it: the data restore from an
 * aggregate, the dead-letter handler, dependent callbacks, the metrics listener, the callback executor. Each test
 * checks the future, the dead letter, the budget and close's return value.
 */
@Timeout(120)
class CompletionFailuresTest extends FakeClientProducerTest {

    private static final String STREAM = "completion";

    @Override
    protected ProducerConfig.Builder config(FakeKinesisClient fake) {
        return super.config(fake).recordMaxBufferedTime(Duration.ofHours(1));
    }

    private List<CompletableFuture<RecordResult>> addThree() {
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(producer.add(STREAM, "key-" + i, new byte[] {(byte) i, 1, 2}));
        }
        producer.flush();
        return futures;
    }

    /** Closes with a long timeout and checks it returned long before it: nothing was left to wait for. */
    private List<FailedRecord> closePromptly() {
        long start = System.nanoTime();
        List<FailedRecord> returned = producer.close(Duration.ofSeconds(30));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "close had nothing to wait for");
        return returned;
    }

    @Test
    void aRecordWhoseDataCannotBeRestoredFromItsAggregateStillFailsIsDeadLetteredAndReleasesItsBudget()
            throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        // The aggregate's bytes are damaged (its MD5 no longer matches) and the call fails for good, so the
        // records must be restored from the aggregate for their dead letters: that throws.
        fake.then(request -> {
            for (PutRecordsRequestEntry e : request.records()) {
                byte[] bytes = e.data().asByteArrayUnsafe();
                bytes[bytes.length - 1] ^= 0x55;
            }
            return CompletableFuture.failedFuture(FakeKinesisClient.serviceError("KMSDisabledException", 400));
        });
        producer = KinesisProducer.create(config(fake).build());
        List<CompletableFuture<RecordResult>> futures = addThree();

        for (CompletableFuture<RecordResult> f : futures) {
            RecordFailedException e = assertInstanceOf(RecordFailedException.class, failure(f));
            assertEquals(FailureReason.NON_RETRYABLE_ERROR, e.reason());
            assertEquals("KMSDisabledException", e.errorCode());
            assertTrue(e.getMessage().contains("could not be restored from its aggregated record"), e.getMessage());
            assertTrue(e.getCause() != null, "the restore failure is the cause");
        }
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(3, deadLetters.size());
        for (FailedRecord f : deadLetters) {
            assertNull(f.data(), "no data could be given");
            assertEquals(FailureReason.NON_RETRYABLE_ERROR, f.reason());
            assertTrue(f.lastErrorMessage().contains("could not be restored"), f.lastErrorMessage());
        }
        assertEquals(0, producer.outstandingRecords());
        assertEquals(0, producer.outstandingBytes());
        assertEquals(List.of(), closePromptly(), "already failed and dead-lettered, not close's to report");
    }

    @Test
    void throwingCallbacksAndAThrowingDeadLetterHandlerAffectNoOtherRecord() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailCall("AccessDeniedException", 400);
        AtomicInteger handled = new AtomicInteger();
        producer = KinesisProducer.create(config(fake).deadLetterHandler(r -> {
            handled.incrementAndGet();
            throw new AssertionError("handler broken");
        }).build());
        List<CompletableFuture<RecordResult>> futures = addThree();
        List<CompletableFuture<?>> dependents = new ArrayList<>();
        for (CompletableFuture<RecordResult> f : futures) {
            dependents.add(f.whenComplete((r, e) -> {
                throw new StackOverflowError("callback broken");
            }));
        }
        for (CompletableFuture<RecordResult> f : futures) {
            assertInstanceOf(RecordFailedException.class, failure(f));
        }
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(3, handled.get(), "the handler was called for every record");
        assertEquals(0, producer.outstandingRecords());
        for (CompletableFuture<?> d : dependents) {
            assertTrue(d.isCompletedExceptionally());
        }
        assertEquals(List.of(), closePromptly());
    }

    @Test
    void anExecutorThatThrowsSomethingElseThanRejectedExecutionStillGetsEveryFutureCompleted() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("AccessDeniedException", 1);
        Executor broken = r -> {
            throw new IllegalStateException("executor broken");
        };
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).callbackExecutor(broken).build());
        List<CompletableFuture<RecordResult>> futures = addThree();
        assertEquals("shardId-000000000000", Await.get(futures.get(0)).shardId());
        assertInstanceOf(RecordFailedException.class, failure(futures.get(1)));
        Await.get(futures.get(2));
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(1, deadLetters.size());
        assertEquals(0, producer.outstandingRecords());
        assertEquals(List.of(), closePromptly());
    }

    @Test
    void anExecutorThatDiscardsItsTasksHasThemRunByClose() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("AccessDeniedException", 1);
        Executor discarding = r -> { };
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).callbackExecutor(discarding)
                .build());
        List<CompletableFuture<RecordResult>> futures = addThree();
        Await.until("the PutRecords call", () -> !fake.putRequests().isEmpty());
        SenderAwait.callsHandled(producer, 0); // its answer is handled: every record is decided before close
        List<FailedRecord> returned = producer.close(Duration.ofMillis(500));
        assertEquals(List.of(), returned, "decided before close: completed by close, reported then");
        Await.get(futures.get(0));
        assertInstanceOf(RecordFailedException.class, failure(futures.get(1)));
        Await.get(futures.get(2));
        assertEquals(1, deadLetters.size());
        assertEquals(0, producer.outstandingRecords());
    }

    @Test
    void aCallbackBlockedForeverDoesNotStrandTheCompletionsQueuedBehindItAtClose() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        producer = KinesisProducer.create(config(fake).maxOutstandingRecords(1)
                .backpressure(BackpressureMode.FAIL_FAST).build());
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
        try {
            CompletableFuture<RecordResult> first = producer.add("a", "k", new byte[] {1});
            first.whenComplete((r, e) -> {
                blocked.countDown();
                try {
                    never.await();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            producer.flush();
            assertTrue(blocked.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS));
            // Another stream: its own completion task, queued behind the blocked callback.
            CompletableFuture<RecordResult> second = producer.add("b", "k", new byte[] {2});
            producer.flush();
            Await.until("the second PutRecords call", () -> fake.putRequests().size() >= 2);
            SenderAwait.callsHandled(producer, 0); // its answer is handled: its completion is queued
            // The room is held by the completion that cannot run: an add refused for room says so.
            BufferFullException full = assertThrows(BufferFullException.class,
                    () -> producer.add("c", "k", new byte[] {3}));
            assertTrue(full.getMessage().contains("1 completion tasks are waiting for the callback executor"),
                    full.getMessage());
            assertEquals(List.of(), producer.close(Duration.ofSeconds(1)), "stored: nothing for close to fail");
            assertEquals("shardId-000000000000", second.getNow(null).shardId(),
                    "close ran the completion the blocked callback thread could not");
            assertEquals(0, producer.outstandingRecords());
        } finally {
            never.countDown();
        }
    }

    @Test
    void aMetricsListenerThrowingAnErrorDoesNotStrandABatch() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        ProducerMetrics broken = new ProducerMetrics() {
            @Override
            public void bufferingTime(String stream, long millis) {
                throw new NoClassDefFoundError("io/micrometer/core/instrument/Timer");
            }

            @Override
            public void userRecordsPut(String stream, int count) {
                throw new LinkageError("metrics broken");
            }
        };
        producer = KinesisProducer.create(config(fake).metrics(broken).build());
        for (CompletableFuture<RecordResult> f : addThree()) {
            Await.get(f);
        }
        assertEquals(3, (int) Await.get(producer.add(STREAM, "again", new byte[] {1}).thenApply(r -> 3).thenCombine(
                CompletableFuture.runAsync(producer::flush), (a, b) -> a)));
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(0, producer.outstandingRecords());
        assertEquals(List.of(), closePromptly());
    }
}
