package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;

/** Injected clock, executor and metrics. */
@Timeout(90)
class ProducerSeamsTest {

    private static final String STREAM = "seams";
    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    private KinesisProducer producer;

    @AfterEach
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    private static Throwable failure(CompletableFuture<?> f) {
        return assertThrows(ExecutionException.class, () -> Await.get(f)).getCause();
    }

    @Test
    void ttlFollowsTheInjectedClock() throws Exception {
        ManualClock clock = new ManualClock(1_000_000);
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        for (int i = 0; i < 10_000; i++) {
            fake.thenFailEntries("ProvisionedThroughputExceededException", 0);
        }
        // One callback thread, first in first out: a marker task run through it after a decision was made proves
        // that the decision's completion has run.
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "seams-callbacks"));
        try {
            producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).clock(clock)
                    .callbackExecutor(callbacks).deadLetterHandler(deadLetters::add).aggregationEnabled(false)
                    .recordTtl(Duration.ofSeconds(10)).retryBaseDelay(Duration.ofMillis(1))
                    .retryMaxDelay(Duration.ofMillis(1)).build());
            CompletableFuture<RecordResult> f = producer.add(STREAM, "k", new byte[] {1});
            producer.flush();
            // Real time passes, the manual clock does not: the retry waits for its backoff, nothing expires.
            Await.until("the first PutRecords call", () -> !fake.putRequests().isEmpty());
            SenderAwait.callsHandled(producer, 0); // its throttled answer is handled: the retry is queued
            SenderAwait.senderPasses(producer, 3); // passes that would expire the record if real time counted
            Await.get(callbacks.submit(() -> { }));
            assertFalse(f.isDone());
            clock.advance(Duration.ofSeconds(11));
            RecordExpiredException e = assertInstanceOf(RecordExpiredException.class, failure(f));
            assertEquals(FailureReason.TTL_EXPIRED, e.reason());
            Instant first = e.attempts().get(0).timestamp();
            assertEquals(Instant.ofEpochMilli(1_000_000), first, "attempt timestamps come from the injected clock");
            assertTrue(producer.flushSync(Await.DEADLINE));
            assertEquals(1, deadLetters.size());
        } finally {
            if (producer != null) {
                producer.close(Duration.ofSeconds(2));
                producer = null;
            }
            callbacks.shutdownNow();
        }
    }

    @Test
    void futuresCompleteOnTheInjectedExecutor() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "my-callbacks"));
        try {
            producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(FakeKinesisClient.withShards(1))
                    .callbackExecutor(executor).recordMaxBufferedTime(Duration.ofSeconds(30)).build());
            // Nothing is sent before flush(), so the callback is attached before the future can complete
            // (a callback attached to a completed future would run on this thread instead).
            CompletableFuture<String> thread = producer.add(STREAM, "k", new byte[] {1})
                    .thenApply(r -> Thread.currentThread().getName());
            producer.flush();
            assertEquals("my-callbacks", Await.get(thread));
            producer.close(Duration.ofSeconds(2));
            producer = null;
            assertFalse(executor.isShutdown(), "a supplied executor is not ours to shut down");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void metricsAreReported() throws Exception {
        Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        ProducerMetrics metrics = new ProducerMetrics() {
            void count(String name, long n) {
                counts.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(n);
            }

            @Override
            public void userRecordsPut(String stream, int count) {
                count("userRecordsPut", count);
            }

            @Override
            public void userRecordsFailed(String stream, int count) {
                count("userRecordsFailed", count);
            }

            @Override
            public void userRecordsDeadLettered(String stream, int count) {
                count("userRecordsDeadLettered", count);
            }

            @Override
            public void kinesisRecordsPut(String stream, int count) {
                count("kinesisRecordsPut", count);
            }

            @Override
            public void putRecordsCall(String stream, int entries, int failedEntries, long durationMillis) {
                count("putRecordsCalls", 1);
            }

            @Override
            public void retries(String stream, int entries) {
                count("retries", entries);
            }

            @Override
            public void bufferingTime(String stream, long millis) {
                count("bufferingTime", 1);
                throw new IllegalStateException("a broken listener must not break the producer");
            }
        };
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("InternalFailure", 0).thenFailEntries("KMSNotFoundException", 0);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).metrics(metrics)
                .deadLetterHandler(deadLetters::add).aggregationEnabled(false)
                .recordMaxBufferedTime(Duration.ofHours(1)).retryBaseDelay(Duration.ofMillis(1))
                .retryMaxDelay(Duration.ofMillis(1)).build());
        CompletableFuture<RecordResult> a = producer.add(STREAM, "a", new byte[] {1});
        CompletableFuture<RecordResult> b = producer.add(STREAM, "b", new byte[] {2});
        producer.flush();
        Await.get(b);
        failure(a);
        producer.close(Await.DEADLINE); // joins the sender, which ran the (synchronous) result handling
        producer = null;
        assertEquals(1, counts.get("userRecordsPut").get());
        assertEquals(1, counts.get("userRecordsFailed").get());
        assertEquals(1, counts.get("userRecordsDeadLettered").get());
        assertEquals(1, counts.get("kinesisRecordsPut").get());
        assertEquals(2, counts.get("putRecordsCalls").get());
        assertEquals(1, counts.get("retries").get());
        assertEquals(2, counts.get("bufferingTime").get());
    }

    @Test
    void accessDeniedOnListShardsFailsTheStreamsRecords() {
        software.amazon.awssdk.services.kinesis.KinesisAsyncClient denied =
                new software.amazon.awssdk.services.kinesis.KinesisAsyncClient() {
                    @Override
                    public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
                        return CompletableFuture.failedFuture(
                                FakeKinesisClient.serviceError("AccessDeniedException", 400));
                    }

                    @Override
                    public String serviceName() {
                        return "kinesis";
                    }

                    @Override
                    public void close() {
                    }
                };
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(denied)
                .deadLetterHandler(deadLetters::add).build());
        RecordFailedException e = assertInstanceOf(RecordFailedException.class,
                failure(producer.add(STREAM, "k", new byte[] {1})));
        assertEquals("AccessDeniedException", e.errorCode());
        assertEquals(FailureReason.NOT_AUTHORIZED, e.reason());
    }

    /** When an injected collaborator throws inside add after the budget was reserved, the reservation comes back. */
    @Test
    void addThatFailsAfterReservingReturnsItsBudget() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        Thread caller = Thread.currentThread();
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public long millis() {
                if (Thread.currentThread() == caller) {
                    throw new IllegalStateException("clock broken");
                }
                return System.currentTimeMillis();
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
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
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).clock(clock)
                .maxOutstandingRecords(1).build());
        assertThrows(IllegalStateException.class, () -> producer.add(STREAM, "k", new byte[10]));
        assertEquals(0, producer.outstandingRecords());
        assertEquals(0, producer.outstandingBytes());
    }
}
