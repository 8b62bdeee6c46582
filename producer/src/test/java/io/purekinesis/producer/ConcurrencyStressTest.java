package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * Many threads add (blocking on a small budget) while Kinesis fails random entries and whole calls (retryable and
 * not), answers late, on other threads, or never (the request timeout ends those), and close is called in the
 * middle. Invariants, whatever the interleaving: every accepted record's future completes exactly once; a failed
 * record is dead-lettered exactly once and a stored one never; close's list is exactly the records failed with
 * PRODUCER_CLOSED; a successful record was really stored; no callback ran on the sender thread; the budget is
 * back to zero.
 */
@Timeout(120)
class ConcurrencyStressTest {

    private static final String STREAM = "stress";

    /** Scripted chaos, decided per call from a seeded random: the fake stores what it answers as stored. */
    private static final class ChaosClient implements KinesisAsyncClient {
        private final FakeKinesisClient fake = FakeKinesisClient.withShards(6);
        private final ScheduledExecutorService sdkThreads = Executors.newScheduledThreadPool(4, r -> {
            Thread t = new Thread(r, "fake-sdk");
            t.setDaemon(true);
            return t;
        });
        private final long seed;
        private final AtomicLong calls = new AtomicLong();

        ChaosClient(long seed) {
            this.seed = seed;
        }

        @Override
        public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
            return fake.listShards(request);
        }

        @Override
        public CompletableFuture<PutRecordsResponse> putRecords(PutRecordsRequest request) {
            Random random = new Random(seed * 31 + calls.incrementAndGet());
            int roll = random.nextInt(100);
            long entrySeed = random.nextLong();
            if (roll < 2) {
                return new CompletableFuture<>(); // never answers: the request timeout must end it
            }
            if (roll < 4) {
                throw FakeKinesisClient.serviceError("InternalFailure", 500); // thrown, not returned
            }
            CompletableFuture<PutRecordsResponse> answer = new CompletableFuture<>();
            Runnable respond = () -> {
                if (roll < 12) {
                    answer.completeExceptionally(FakeKinesisClient.serviceError(
                            roll < 11 ? "ServiceUnavailable" : "ValidationException", roll < 11 ? 503 : 400));
                    return;
                }
                answer.complete(fake.respond(request, i -> {
                    if (roll >= 50) {
                        return null;
                    }
                    int r = new Random(entrySeed + i).nextInt(100);
                    return r < 15 ? "ProvisionedThroughputExceededException"
                            : r < 18 ? "InternalFailure" : r < 19 ? "KMSDisabledException" : null;
                }));
            };
            if (roll % 3 == 0) {
                respond.run(); // on the sender thread
            } else {
                sdkThreads.schedule(respond, random.nextInt(15), TimeUnit.MILLISECONDS);
            }
            return answer;
        }

        @Override
        public String serviceName() {
            return "kinesis";
        }

        @Override
        public void close() {
            sdkThreads.shutdownNow();
        }
    }

    @ParameterizedTest
    @CsvSource({"true, 1", "false, 2", "true, 3"})
    void everyRecordEndsExactlyOnceAndTheBudgetReturnsToZero(boolean aggregation, long seed) throws Exception {
        ChaosClient client = new ChaosClient(seed);
        int threads = 8;
        int perThread = 4000;
        int n = threads * perThread;
        AtomicReferenceArray<CompletableFuture<RecordResult>> futures = new AtomicReferenceArray<>(n);
        AtomicIntegerArray completions = new AtomicIntegerArray(n);
        AtomicIntegerArray deadLetters = new AtomicIntegerArray(n);
        Set<String> callbackThreads = ConcurrentHashMap.newKeySet();
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                .producerName("stress-" + seed).aggregationEnabled(aggregation)
                .aggregationMaxSize(400).collectionMaxCount(50).recordMaxBufferedTime(Duration.ofMillis(3))
                .retryBaseDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(20))
                .requestTimeout(Duration.ofMillis(150)).maxOutstandingRecords(3000)
                .backpressure(BackpressureMode.BLOCK).addTimeout(Duration.ofSeconds(30))
                .deadLetterHandler(r -> {
                    callbackThreads.add(Thread.currentThread().getName());
                    deadLetters.incrementAndGet(ByteBuffer.wrap(r.data()).getInt());
                }).build());
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refusedAfterClose = new AtomicInteger();
        CountDownLatch halfway = new CountDownLatch(n / 2);
        List<Thread> adders = new ArrayList<>();
        List<Throwable> adderErrors = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t * perThread;
            Thread adder = new Thread(() -> {
                for (int i = first; i < first + perThread; i++) {
                    int id = i;
                    CompletableFuture<RecordResult> f;
                    try {
                        f = producer.add(STREAM, "key-" + (i % 211), ByteBuffer.allocate(8).putInt(0, i));
                    } catch (ProducerClosedException e) {
                        refusedAfterClose.incrementAndGet();
                        halfway.countDown();
                        continue;
                    } catch (RuntimeException e) {
                        synchronized (adderErrors) {
                            adderErrors.add(e);
                        }
                        return;
                    }
                    accepted.incrementAndGet();
                    futures.set(id, f);
                    f.whenComplete((r, e) -> {
                        callbackThreads.add(Thread.currentThread().getName());
                        completions.incrementAndGet(id);
                    });
                    halfway.countDown();
                }
            }, "adder-" + t);
            adders.add(adder);
            adder.start();
        }
        assertTrue(halfway.await(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS), "half the adds done");
        long start = System.nanoTime();
        List<FailedRecord> undelivered = producer.close(Duration.ofMillis(300));
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        for (Thread adder : adders) {
            adder.join(Await.DEADLINE.toMillis());
            assertFalse(adder.isAlive(), adder.getName() + " still adding after close");
        }
        assertTrue(adderErrors.isEmpty(), "adders failed: " + adderErrors);
        // Close returns about its timeout later: generous for a busy machine, and still far below the addTimeout
        // that a close waiting for the blocked adders (instead of waking them) would take.
        assertTrue(closeMillis < 10_000, "close took " + closeMillis + " ms");

        // Every accepted future completes (close failed what it could not send); wait for the callbacks.
        for (int i = 0; i < n; i++) {
            CompletableFuture<RecordResult> f = futures.get(i);
            if (f != null) {
                try {
                    Await.get(f.handle((r, e) -> null));
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("future of record " + i + " never completed");
                }
            }
        }
        // Late duplicate completions, if there were any, would come from answers handled after close: wait until
        // every answer has been handled (the sender thread ended, so no call is made any more; the fake's SDK
        // threads ran every answer they were given; the sender counts no call in flight, so the request timeout
        // ended the rest), then until every completion decided by then has run.
        SenderAwait.senderEnded("stress-" + seed);
        client.sdkThreads.shutdown(); // scheduled answers still run
        assertTrue(client.sdkThreads.awaitTermination(Await.deadline(TimeUnit.SECONDS), TimeUnit.SECONDS),
                "the fake's scheduled answers");
        SenderAwait.callsHandled(producer, 0);
        assertTrue(producer.flushSync(Await.DEADLINE), "completions still running or records outstanding: "
                + producer.outstandingRecords());

        Set<Integer> stored = new HashSet<>();
        for (FakeKinesisClient.Stored s : client.fake.stored()) {
            for (DecodedRecord d : AggregateDecoder.decode(s.data(), s.partitionKey(), s.explicitHashKey())) {
                stored.add(ByteBuffer.wrap(d.data()).getInt());
            }
        }
        Set<Integer> returned = new HashSet<>();
        for (FailedRecord r : undelivered) {
            assertEquals(FailureReason.PRODUCER_CLOSED, r.reason());
            assertTrue(returned.add(ByteBuffer.wrap(r.data()).getInt()), "returned twice");
        }
        Set<Integer> closedFailures = new HashSet<>();
        int succeeded = 0;
        int failed = 0;
        for (int i = 0; i < n; i++) {
            CompletableFuture<RecordResult> f = futures.get(i);
            if (f == null) {
                assertEquals(0, deadLetters.get(i), "record " + i + " was never accepted");
                continue;
            }
            assertEquals(1, completions.get(i), "callbacks of record " + i);
            if (f.isCompletedExceptionally()) {
                failed++;
                assertEquals(1, deadLetters.get(i), "dead letters of failed record " + i);
                Throwable e = f.handle((r, x) -> x).join();
                if (e instanceof CompletionException) {
                    e = e.getCause();
                }
                RecordFailedException rfe = (RecordFailedException) e;
                if (rfe.reason() == FailureReason.PRODUCER_CLOSED) {
                    closedFailures.add(i);
                }
            } else {
                succeeded++;
                assertEquals(0, deadLetters.get(i), "dead letters of stored record " + i);
                assertTrue(stored.contains(i), "record " + i + " reported stored but is not");
                assertNotNull(f.join().sequenceNumber());
            }
        }
        Set<Integer> notReturned = new HashSet<>(closedFailures);
        notReturned.removeAll(returned);
        Set<Integer> wronglyReturned = new HashSet<>(returned);
        wronglyReturned.removeAll(closedFailures);
        assertTrue(notReturned.isEmpty() && wronglyReturned.isEmpty(), "close returns exactly the records it "
                + "failed; missing " + notReturned.size() + " " + sample(notReturned) + ", extra "
                + wronglyReturned.size() + " " + sample(wronglyReturned));
        assertEquals(0, producer.outstandingRecords(), "records left in the budget");
        assertEquals(0, producer.outstandingBytes(), "bytes left in the budget");
        assertEquals(accepted.get(), succeeded + failed);
        assertEquals(n, accepted.get() + refusedAfterClose.get());
        assertTrue(succeeded > 0 && failed > 0, succeeded + " stored, " + failed + " failed");
        for (String name : callbackThreads) {
            assertFalse(name.endsWith("-sender"), "a callback ran on " + name);
        }
        client.close();
    }

    private static String sample(Set<Integer> ids) {
        return ids.stream().sorted().limit(10).toList().toString();
    }
}
