package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * close(timeout) from a future callback or the dead-letter handler, on the producer's own callback thread or on a
 * user-supplied executor's: it must not wait its whole timeout for completions only that thread could run.
 */
@Timeout(60)
class CloseFromCallbackTest {

    private static final Duration LONG = Duration.ofSeconds(30);

    private record Outcome(List<FailedRecord> returned, long nanos) {
    }

    /** r1 (stream a) closes the producer from its callback; r2 (stream b, another completion task) is pending. */
    private static void closeFromACallback(ProducerConfig.Builder config) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        KinesisProducer producer = KinesisProducer.create(config.kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofHours(1)).build());
        CompletableFuture<Outcome> closed = new CompletableFuture<>();
        CompletableFuture<RecordResult> r1 = producer.add("a", "k1", new byte[] {1});
        CompletableFuture<RecordResult> r2 = producer.add("b", "k2", new byte[] {2});
        r1.whenComplete((r, e) -> {
            long start = System.nanoTime();
            List<FailedRecord> returned = producer.close(LONG);
            closed.complete(new Outcome(returned, System.nanoTime() - start));
        });
        producer.flush();
        Outcome outcome = closed.get(50, TimeUnit.SECONDS);
        assertTrue(outcome.nanos() < LONG.toNanos() / 2, "close returned in " + outcome.nanos() / 1_000_000
                + " ms: it did not wait its timeout for itself");
        assertEquals(List.of(), outcome.returned(), "everything was stored");
        Await.get(r2);
        assertEquals(0, producer.outstandingRecords());
        ProducerClosedException e = assertThrows(ProducerClosedException.class,
                () -> producer.add("a", "k3", new byte[] {3}));
        assertTrue(e.getMessage().contains("close() was called"), e.getMessage());
        assertTrue(e.getMessage().contains("inside a future callback or the dead-letter handler"), e.getMessage());
        assertTrue(e.getMessage().contains(CloseFromCallbackTest.class.getName()), "names the caller: "
                + e.getMessage());
    }

    @Test
    void onTheProducersOwnCallbackThread() throws Exception {
        closeFromACallback(ProducerConfig.builder());
    }

    @Test
    void onAUserSuppliedOneThreadExecutor() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            closeFromACallback(ProducerConfig.builder().callbackExecutor(executor));
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void fromTheDeadLetterHandlerWhileOtherRecordsAreStillInFlight() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.thenFailCall("AccessDeniedException", 400);
        CompletableFuture<Outcome> closed = new CompletableFuture<>();
        KinesisProducer[] holder = new KinesisProducer[1];
        holder[0] = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofHours(1)).deadLetterHandler(r -> {
                    long start = System.nanoTime();
                    List<FailedRecord> returned = holder[0].close(LONG);
                    closed.complete(new Outcome(returned, System.nanoTime() - start));
                }).build());
        KinesisProducer producer = holder[0];
        CompletableFuture<RecordResult> denied = producer.add("a", "k1", new byte[] {1});
        producer.flush();
        assertInstanceOf(RecordFailedException.class,
                assertThrows(ExecutionException.class, () -> denied.get(20, TimeUnit.SECONDS)).getCause());
        Outcome outcome = closed.get(50, TimeUnit.SECONDS);
        assertTrue(outcome.nanos() < LONG.toNanos() / 2, "close returned in " + outcome.nanos() / 1_000_000 + " ms");
        assertEquals(0, producer.outstandingRecords());
    }

    /**
     * The budget is full (one record): r1's callback adds r3, but the room it needs is held by r2, whose
     * completion is queued behind r1's on the one callback thread. Waiting would last until addTimeout.
     */
    @Test
    void anAddFromACallbackThatMustWaitForRoomRunsTheCompletionsQueuedBehindIt() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .maxOutstandingRecords(2).addTimeout(LONG).recordMaxBufferedTime(Duration.ofHours(1)).build());
        try {
            CompletableFuture<Long> addNanos = new CompletableFuture<>();
            CompletableFuture<CompletableFuture<RecordResult>> r3 = new CompletableFuture<>();
            CompletableFuture<RecordResult> r1 = producer.add("a", "k1", new byte[] {1});
            CompletableFuture<RecordResult> r2 = producer.add("b", "k2", new byte[] {2});
            r1.whenComplete((r, e) -> {
                long start = System.nanoTime();
                try {
                    // r1's room is back, r2 holds the rest: room for one more, then none.
                    producer.add("a", "k3", new byte[] {3});
                    r3.complete(producer.add("a", "k4", new byte[] {4}));
                } catch (RuntimeException ex) {
                    r3.completeExceptionally(ex);
                }
                addNanos.complete(System.nanoTime() - start);
            });
            producer.flush();
            long nanos = addNanos.get(50, TimeUnit.SECONDS);
            assertTrue(nanos < LONG.toNanos() / 2, "the add waited " + nanos / 1_000_000 + " ms");
            Await.get(r2);
            producer.flush();
            assertTrue(Await.get(Await.get(r3)).sequenceNumber() != null);
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void anAddAfterCloseSaysWhoClosedTheProducer() {
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder()
                .kinesisClient(FakeKinesisClient.withShards(1)).producerName("lifecycle").build());
        producer.close(Duration.ofSeconds(1));
        ProducerClosedException e = assertThrows(ProducerClosedException.class,
                () -> producer.add("s", "k", new byte[] {1}));
        assertTrue(e.getMessage().startsWith("producer lifecycle is closed, records can no longer be added: close() "
                + "was called at "), e.getMessage());
        assertTrue(e.getMessage().contains("on thread '" + Thread.currentThread().getName() + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("CloseFromCallbackTest.anAddAfterCloseSaysWhoClosedTheProducer"),
                e.getMessage());
        assertEquals(List.of(), producer.close(Duration.ofSeconds(1)), "a second close returns at once");
    }
}
