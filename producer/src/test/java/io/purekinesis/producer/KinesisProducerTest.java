package io.purekinesis.producer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.internal.buffer.MemoryBudget;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

@Timeout(90)
class KinesisProducerTest {

    private static final String STREAM = "test-stream";

    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    private KinesisProducer producer;

    @AfterEach
    void closeProducer() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    private ProducerConfig.Builder config(FakeKinesisClient fake) {
        return ProducerConfig.builder().kinesisClient(fake).deadLetterHandler(deadLetters::add)
                .recordMaxBufferedTime(Duration.ofHours(1)) // only flush() sends, so batches are deterministic
                .retryBaseDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(5));
    }

    private static byte[] data(int i) {
        return ("record-" + i).getBytes(UTF_8);
    }

    private List<CompletableFuture<RecordResult>> addKeys(int count) {
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(producer.add(STREAM, "key-" + i, data(i)));
        }
        return futures;
    }

    private static List<String> keys(PutRecordsRequest request) {
        return request.records().stream().map(PutRecordsRequestEntry::partitionKey).toList();
    }

    private static Throwable failure(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> Await.get(future));
        return e.getCause();
    }

    @Test
    void resendsOnlyTheEntriesThatFailed() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenEntryErrors(i -> i == 2 ? "ProvisionedThroughputExceededException" : i == 5 ? "InternalFailure" : null);
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).build());

        List<CompletableFuture<RecordResult>> futures = addKeys(10);
        producer.flush();
        Await.get(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));

        assertEquals(2, fake.putRequests().size());
        assertEquals(10, fake.putRequests().get(0).records().size());
        assertEquals(List.of("key-2", "key-5"), keys(fake.putRequests().get(1)));
        for (int i = 0; i < 10; i++) {
            RecordResult r = futures.get(i).get();
            if (i == 2 || i == 5) {
                assertEquals(2, r.attempts().size(), "attempts of record " + i);
                Attempt first = r.attempts().get(0);
                assertFalse(first.success());
                assertEquals(i == 2 ? "ProvisionedThroughputExceededException" : "InternalFailure",
                        first.errorCode());
                assertTrue(r.attempts().get(1).success());
            } else {
                assertEquals(1, r.attempts().size());
                assertTrue(r.attempts().get(0).success());
                assertNull(r.attempts().get(0).errorCode());
            }
            assertEquals("shardId-000000000000", r.shardId());
        }
        assertEquals(10, fake.stored().size(), "each record stored exactly once");
        assertTrue(deadLetters.isEmpty());
        producer.flushSync();
        assertEquals(0, producer.outstandingRecords());
        assertEquals(0, producer.outstandingBytes());
    }

    @Test
    void nonRetryableEntryErrorFailsAtOnceAndDeadLetters() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("KMSDisabledException", 1);
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).build());

        List<CompletableFuture<RecordResult>> futures = addKeys(3);
        producer.flush();
        RecordFailedException e = assertInstanceOf(RecordFailedException.class, failure(futures.get(1)));
        assertEquals("KMSDisabledException", e.errorCode());
        assertEquals(FailureReason.NON_RETRYABLE_ERROR, e.reason());
        assertEquals(1, e.attempts().size());
        Await.get(futures.get(0));
        Await.get(futures.get(2));
        producer.flushSync();
        assertEquals(1, fake.putRequests().size(), "nothing was retried");
        assertEquals(1, deadLetters.size());
        FailedRecord dead = deadLetters.get(0);
        assertEquals("key-1", dead.partitionKey());
        assertEquals(STREAM, dead.stream());
        assertEquals("KMSDisabledException", dead.lastErrorCode());
        assertEquals(1, dead.attempts().size());
        assertEquals("record-1", new String(dead.data(), UTF_8));
    }

    @Test
    void nonRetryableCallErrorFailsEveryRecordAtOnce() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailCall("AccessDeniedException", 400);
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).build());

        List<CompletableFuture<RecordResult>> futures = addKeys(4);
        producer.flush();
        for (CompletableFuture<RecordResult> f : futures) {
            RecordFailedException e = assertInstanceOf(RecordFailedException.class, failure(f));
            assertEquals("AccessDeniedException", e.errorCode());
        }
        producer.flushSync();
        assertEquals(1, fake.putRequests().size());
        assertEquals(4, deadLetters.size());
    }

    @Test
    void wholeCallServerErrorAndThrottlingRetryTheWholeBatch() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailCall("InternalFailure", 500).thenFailCall("ThrottlingException", 400);
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).build());

        List<CompletableFuture<RecordResult>> futures = addKeys(5);
        producer.flush();
        for (CompletableFuture<RecordResult> f : futures) {
            RecordResult r = Await.get(f);
            assertEquals(3, r.attempts().size());
            assertEquals("InternalFailure", r.attempts().get(0).errorCode());
            assertEquals("ThrottlingException", r.attempts().get(1).errorCode());
            assertTrue(r.attempts().get(2).success());
        }
        assertEquals(3, fake.putRequests().size());
        for (PutRecordsRequest request : fake.putRequests()) {
            assertEquals(List.of("key-0", "key-1", "key-2", "key-3", "key-4"), keys(request));
        }
        assertEquals(5, fake.stored().size());
    }

    @Test
    void timeoutOfACallIsRetried() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenStall();
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false)
                .requestTimeout(Duration.ofMillis(200)).build());
        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", data(1));
        producer.flush();
        RecordResult r = Await.get(f);
        assertEquals(2, r.attempts().size());
        assertEquals("TimeoutException", r.attempts().get(0).errorCode());
    }

    @Test
    void recordPastItsTtlIsDeadLetteredWithItsAttempts() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        for (int i = 0; i < 1000; i++) {
            fake.thenFailEntries("ProvisionedThroughputExceededException", 0);
        }
        // Time moves only when told: on a busy machine real time could pass the TTL before the retry was sent.
        ManualClock clock = new ManualClock(1_000_000);
        producer = KinesisProducer.create(config(fake).clock(clock).aggregationEnabled(false)
                .recordTtl(Duration.ofMillis(300)).retryBaseDelay(Duration.ofMillis(20))
                .retryMaxDelay(Duration.ofMillis(40)).build());

        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", data(7));
        producer.flush();
        Await.until("the first PutRecords call", () -> fake.putRequests().size() >= 1);
        SenderAwait.callsHandled(producer, 0); // the throttled answer was handled: its retry waits for its backoff
        clock.advance(Duration.ofMillis(50)); // past the longest backoff
        Await.until("the retry", () -> fake.putRequests().size() >= 2);
        clock.advance(Duration.ofMillis(300)); // past the TTL
        RecordExpiredException e = assertInstanceOf(RecordExpiredException.class, failure(f));
        assertEquals(FailureReason.TTL_EXPIRED, e.reason());
        assertTrue(e.attempts().size() >= 2, "attempts: " + e.attempts());
        assertEquals("ProvisionedThroughputExceededException", e.errorCode());
        producer.flushSync();
        assertEquals(1, deadLetters.size());
        FailedRecord dead = deadLetters.get(0);
        assertEquals(FailureReason.TTL_EXPIRED, dead.reason());
        assertEquals(e.attempts().size(), dead.attempts().size());
        assertEquals("ProvisionedThroughputExceededException", dead.lastErrorCode());
    }

    @Test
    void maxAttemptsEndsRetrying() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        for (int i = 0; i < 10; i++) {
            fake.thenFailCall("InternalFailure", 500);
        }
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).maxAttempts(3).build());
        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", data(1));
        producer.flush();
        RecordExpiredException e = assertInstanceOf(RecordExpiredException.class, failure(f));
        assertEquals(FailureReason.MAX_ATTEMPTS_EXHAUSTED, e.reason());
        assertEquals(3, e.attempts().size());
        assertEquals(3, fake.putRequests().size());
    }

    @Test
    void failFastThrowsAtOnceWhenTheBudgetIsFull() {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.stallForever();
        producer = KinesisProducer.create(config(fake).maxOutstandingRecords(2)
                .backpressure(BackpressureMode.FAIL_FAST).build());
        producer.add(STREAM, "a", data(1));
        producer.add(STREAM, "b", data(2));
        long start = System.nanoTime();
        BufferFullException e = assertThrows(BufferFullException.class, () -> producer.add(STREAM, "c", data(3)));
        // At once: generous for a busy machine, far below the addTimeout (60 s by default) a blocking add would wait.
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        assertEquals(ProducerConfig.DEFAULT_MAX_OUTSTANDING_BYTES, e.limitBytes());
        assertEquals(2, producer.outstandingRecords());
        assertEquals(data(3).length + 1, e.requestedBytes());
    }

    @Test
    void blockWaitsThenTimesOut() {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.stallForever();
        producer = KinesisProducer.create(config(fake).maxOutstandingRecords(1)
                .addTimeout(Duration.ofMillis(300)).build());
        producer.add(STREAM, "a", data(1));
        long start = System.nanoTime();
        assertThrows(BufferFullException.class, () -> producer.add(STREAM, "b", data(2)));
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waitedMillis >= 290 && waitedMillis < 10_000, "waited " + waitedMillis); // not the default 60 s
    }

    @Test
    void blockWaitsThenSucceedsWhenRoomFrees() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        CompletableFuture<PutRecordsResponse> slow = new CompletableFuture<>();
        AtomicInteger calls = new AtomicInteger();
        fake.then(request -> {
            calls.incrementAndGet();
            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS)
                    .execute(() -> slow.complete(fake.respond(request, i -> null)));
            return slow;
        });
        producer = KinesisProducer.create(config(fake).maxOutstandingRecords(1)
                .recordMaxBufferedTime(Duration.ofMillis(1)).addTimeout(Await.DEADLINE).build());
        CompletableFuture<RecordResult> first = producer.add(STREAM, "a", data(1));
        long start = System.nanoTime();
        CompletableFuture<RecordResult> second = producer.add(STREAM, "b", data(2));
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // the room comes back once the first record's outcome is decided, just before its future completes (so
        // that an add from a completion callback need not wait), hence get() rather than isDone()
        assertTrue(waitedMillis >= 100, "waited " + waitedMillis);
        Await.get(first);
        Await.get(second);
    }

    @Test
    void closeWakesBlockedAdders() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.stallForever();
        producer = KinesisProducer.create(config(fake).maxOutstandingRecords(1)
                .addTimeout(Duration.ofSeconds(60)).build());
        producer.add(STREAM, "a", data(1));
        CompletableFuture<Throwable> blocked = new CompletableFuture<>();
        Thread adder = new Thread(() -> {
            try {
                producer.add(STREAM, "b", data(2));
                blocked.complete(null);
            } catch (RuntimeException e) {
                blocked.complete(e);
            }
        }, "blocked-adder");
        adder.start();
        // Blocked waiting for room, not merely started: close must wake it rather than refuse it at the door.
        Await.parkedIn(adder, MemoryBudget.class.getName(), "reserve");
        producer.close(Duration.ofMillis(300));
        assertInstanceOf(ProducerClosedException.class, Await.get(blocked));
    }

    @Test
    void rejectsInvalidRecordsWithoutAffectingAcceptedOnes() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        producer = KinesisProducer.create(config(fake).build());
        CompletableFuture<RecordResult> before = producer.add(STREAM, "good", data(1));

        assertThrows(IllegalArgumentException.class, () -> producer.add(STREAM, null, data(1)));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> producer.add(STREAM, "", data(1)));
        assertTrue(empty.getMessage().contains("partitionKey"), empty.getMessage());
        IllegalArgumentException longKey = assertThrows(IllegalArgumentException.class,
                () -> producer.add(STREAM, "k".repeat(257), data(1)));
        assertTrue(longKey.getMessage().contains("256"), longKey.getMessage());
        producer.add(STREAM, "\uD83D\uDE00".repeat(128), data(2)); // 256 UTF-16 units, 512 UTF-8 bytes: fine
        assertThrows(IllegalArgumentException.class, () -> producer.add(STREAM, "\uD83D\uDE00".repeat(129), data(1)));
        IllegalArgumentException ehk = assertThrows(IllegalArgumentException.class,
                () -> producer.add(STREAM, "k", "12x", data(1)));
        assertTrue(ehk.getMessage().contains("2^128-1"), ehk.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> producer.add(STREAM, "k", "340282366920938463463374607431768211456", data(1)));
        assertThrows(IllegalArgumentException.class, () -> producer.add(STREAM, "k", "-1", data(1)));
        producer.add(STREAM, "k", "340282366920938463463374607431768211455", data(3));
        RecordTooLargeException big = assertThrows(RecordTooLargeException.class,
                () -> producer.add(STREAM, "kk", new byte[1024 * 1024 - 1]));
        assertEquals(1024 * 1024 + 1, big.sizeBytes());
        assertThrows(IllegalArgumentException.class, () -> producer.add("bad name!", "k", data(1)));
        assertThrows(IllegalArgumentException.class, () -> producer.add("", "k", data(1)));
        assertThrows(IllegalArgumentException.class, () -> producer.add("s".repeat(129), "k", data(1)));
        assertThrows(IllegalArgumentException.class, () -> producer.add(null, "k", data(1)));
        assertThrows(NullPointerException.class, () -> producer.add(STREAM, "k", (byte[]) null));
        producer.add("arn:aws:kinesis:us-east-1:123456789012:stream/" + STREAM, "k", data(4)); // the fake's account
        CompletableFuture<RecordResult> exact = producer.add(STREAM, "k", new byte[1024 * 1024 - 1]);

        producer.flush();
        Await.get(before);
        Await.get(exact);
        producer.flushSync();
        assertEquals(0, producer.outstandingRecords());
        assertTrue(deadLetters.isEmpty());

        producer.close(Duration.ofSeconds(1));
        assertThrows(ProducerClosedException.class, () -> producer.add(STREAM, "k", data(1)));
    }

    @Test
    void unknownStreamFailsItsRecordsClearly() {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.streamExists(false);
        producer = KinesisProducer.create(config(fake).build());
        CompletableFuture<RecordResult> f = producer.add("no-such-stream", "k", data(1));
        RecordFailedException e = assertInstanceOf(RecordFailedException.class, failure(f));
        assertEquals(FailureReason.STREAM_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("no-such-stream"), e.getMessage());
        assertEquals(0, fake.putRequests().size());
    }

    @Test
    void streamDeletedWhileProducingFailsEachRecordInsteadOfRetrying() throws Exception {
        // The first records fail on their PutRecords call; from then on the stream is remembered as missing and
        // its records fail at once, without a call (see StreamFailuresTest).
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        // Time moves only when told, so each round meets the stream in a known state: first a PutRecords call that
        // fails, then the stream remembered as missing, then (the memory expired) a shard-map load that fails.
        ManualClock clock = new ManualClock(1_000_000);
        producer = KinesisProducer.create(config(fake).clock(clock).recordMaxBufferedTime(Duration.ofMillis(5))
                .shardMapRefreshInterval(Duration.ofMillis(100)).build());
        CompletableFuture<RecordResult> before = producer.add(STREAM, "before", data(0));
        producer.flush();
        Await.get(before);
        fake.streamExists(false);
        for (int round = 0; round < 3; round++) {
            if (round == 2) {
                clock.advance(Duration.ofSeconds(2)); // past the memory of the missing stream
            }
            List<CompletableFuture<RecordResult>> futures = addKeys(20);
            producer.flush();
            for (CompletableFuture<RecordResult> f : futures) {
                RecordFailedException e = assertInstanceOf(RecordFailedException.class, failure(f));
                assertEquals(FailureReason.STREAM_NOT_FOUND, e.reason());
                assertEquals("ResourceNotFoundException", e.errorCode());
                assertTrue(e.attempts().size() <= 1, "not retried");
            }
        }
        // A dead letter is handled after its future completes: wait for every completion to end.
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(60, deadLetters.size());
        assertEquals(0, producer.outstandingRecords());
    }

    @Test
    void closeWithAStalledClientReturnsInTimeAndDeadLettersEverything() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        fake.stallForever();
        producer = KinesisProducer.create(config(fake).recordMaxBufferedTime(Duration.ofMillis(5))
                .requestTimeout(Duration.ofSeconds(60)).build());
        List<CompletableFuture<RecordResult>> futures = addKeys(20);
        Await.until("a PutRecords call in flight", () -> !fake.putRequests().isEmpty());
        long start = System.nanoTime();
        List<FailedRecord> undelivered = producer.close(Duration.ofMillis(500));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // About its timeout: generous for a busy machine, far below the requestTimeout (60 s) of the stalled calls.
        assertTrue(tookMillis < 10_000, "close took " + tookMillis + " ms");
        assertEquals(20, undelivered.size());
        for (CompletableFuture<RecordResult> f : futures) {
            RecordFailedException e = assertInstanceOf(RecordFailedException.class, failure(f));
            assertEquals(FailureReason.PRODUCER_CLOSED, e.reason());
        }
        assertEquals(20, deadLetters.size());
        assertFalse(fake.isClosed(), "a supplied client is not ours to close");
        producer = null;
    }

    @Test
    void closeSendsWhatIsBuffered() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        producer = KinesisProducer.create(config(fake).build());
        List<CompletableFuture<RecordResult>> futures = addKeys(50);
        assertTrue(producer.close(Await.DEADLINE).isEmpty());
        for (CompletableFuture<RecordResult> f : futures) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally());
        }
        producer = null;
    }

    @Test
    void strictOrderingKeepsAddOrderAcrossRetries() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("ProvisionedThroughputExceededException", 0)
                .thenFailEntries("InternalFailure", 0);
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).strictOrdering(true).build());
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(producer.add(STREAM, "same-key", data(i)));
        }
        producer.flush();
        Await.get(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
        List<String> storedOrder = fake.stored().stream().map(s -> new String(s.data(), UTF_8)).toList();
        assertEquals(List.of("record-0", "record-1", "record-2", "record-3", "record-4"), storedOrder);
        for (PutRecordsRequest request : fake.putRequests()) {
            assertEquals(1, request.records().size(), "one entry per shard per call");
        }
        assertEquals(3, futures.get(0).get().attempts().size());
        // sequence numbers increase in add order
        for (int i = 1; i < 5; i++) {
            assertTrue(futures.get(i).get().sequenceNumber().compareTo(futures.get(i - 1).get().sequenceNumber()) > 0);
        }
    }

    @Test
    void defaultOrderingLetsARetriedEntryFallBehind() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("ProvisionedThroughputExceededException", 0);
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).build());
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(producer.add(STREAM, "same-key", data(i)));
        }
        producer.flush();
        Await.get(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
        List<String> storedOrder = fake.stored().stream().map(s -> new String(s.data(), UTF_8)).toList();
        // Without failures add order is kept; the failed first record is stored after the ones behind it.
        assertEquals(List.of("record-1", "record-2", "record-3", "record-4", "record-0"), storedOrder);
    }

    @Test
    void callbacksRunOffTheSenderThreadAndTheirExceptionsAreHarmless() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("KMSNotFoundException", 0);
        List<String> threads = new CopyOnWriteArrayList<>();
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).producerName("cb")
                .deadLetterHandler(r -> {
                    threads.add(Thread.currentThread().getName());
                    throw new IllegalStateException("handler bug");
                }).build());
        CompletableFuture<RecordResult> bad = producer.add(STREAM, "a", data(1));
        CompletableFuture<String> good = producer.add(STREAM, "b", data(2))
                .thenApply(r -> Thread.currentThread().getName());
        producer.flush();
        assertEquals("purekinesis-producer-cb-callback", Await.get(good));
        failure(bad);
        producer.flushSync();
        assertEquals(List.of("purekinesis-producer-cb-callback"), threads);
        // still working after the handler threw
        producer.add(STREAM, "c", data(3));
        producer.flush();
        producer.flushSync();
        assertEquals(2, fake.stored().size());
    }

    @Test
    void deadLetteredRecordsOfAnAggregateCarryTheirData() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailEntries("KMSInvalidStateException", 0);
        producer = KinesisProducer.create(config(fake).build());
        List<CompletableFuture<RecordResult>> futures = addKeys(5);
        producer.flush();
        for (CompletableFuture<RecordResult> f : futures) {
            assertInstanceOf(RecordFailedException.class, failure(f));
        }
        producer.flushSync();
        assertEquals(1, fake.putRequests().get(0).records().size(), "one aggregate");
        assertEquals(5, deadLetters.size());
        for (int i = 0; i < 5; i++) {
            FailedRecord dead = deadLetters.get(i);
            assertEquals("key-" + i, dead.partitionKey());
            assertEquals("record-" + i, new String(dead.data(), UTF_8));
        }
    }

    @Test
    void atMostMaxConcurrentRequestsAreInFlight() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(8);
        fake.stallForever();
        producer = KinesisProducer.create(config(fake).aggregationEnabled(false).maxConcurrentRequests(2)
                .collectionMaxCount(1).build());
        addKeys(40);
        producer.flush();
        Await.until("two PutRecords calls in flight", () -> fake.putRequests().size() >= 2);
        producer.flush();
        SenderAwait.senderPasses(producer, 2); // passes that would send a third call if the limit did not hold
        assertEquals(2, fake.putRequests().size());
    }

    @Test
    void byteBufferDataIsCopiedFromItsPosition() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        producer = KinesisProducer.create(config(fake).build());
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap("xxhello".getBytes(UTF_8));
        buffer.position(2);
        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", buffer);
        assertEquals(2, buffer.position(), "the caller's buffer is untouched");
        buffer.put(2, (byte) 'J');
        producer.flush();
        Await.get(f);
        assertEquals("hello", new String(fake.stored().get(0).data(), UTF_8));
    }
}
