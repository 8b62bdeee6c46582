package io.purekinesis.producer.internal.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.internal.retry.Backoff;
import io.purekinesis.producer.DeadLetterHandler;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.HashKey128;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.PutBatch;
import io.purekinesis.producer.internal.batching.RoutingFeedback;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

class ResultHandlerTest {

    private final ManualClock clock = new ManualClock(10_000);
    private final MemoryBudget budget = new MemoryBudget(1 << 30, 1000);
    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    private final List<String> staleStreams = new ArrayList<>();
    private final Completer completer = new Completer(Runnable::run, budget, deadLetters::add, ProducerMetrics.NOOP,
            "test-overflow");
    private final ResultHandler handler = new ResultHandler(clock,
            Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(1)), 0, completer,
            ProducerMetrics.NOOP);
    private final RoutingFeedback routing = new RoutingFeedback() {
        @Override
        public void shardMapStale(String stream) {
            staleStreams.add(stream);
        }

        @Override
        public void aggregateOnWrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
            throw new AssertionError("no aggregates here");
        }
    };
    private final StreamCollector collector = new StreamCollector("s", 500, 5L << 20, 100_000, false, true, routing);

    private PutBatch batchOf(int n) {
        for (int i = 0; i < n; i++) {
            String key = "k" + i;
            budget.reserve(2 + key.length(), 0);
            UserRecord r = new UserRecord(key, null, new byte[2], HashKey128.hi(HashKeys.partitionKeyHash(key)),
                    HashKey128.lo(HashKeys.partitionKeyHash(key)), clock.millis() + 30_000,
                    2 + key.length());
            collector.enqueue(KinesisEntry.plain(new EntrySettings("s", 0, 30_000), r, "shard-0"));
        }
        return collector.drain(clock.millis(), 1).batches.get(0);
    }

    private static PutRecordsResultEntry ok(String shard) {
        return PutRecordsResultEntry.builder().shardId(shard).sequenceNumber("1").build();
    }

    private static PutRecordsResultEntry error(String code) {
        return PutRecordsResultEntry.builder().errorCode(code).errorMessage(code + "!").build();
    }

    @Test
    void onlyEntriesWithAnErrorCodeGoBackAfterABackoff() throws Exception {
        PutBatch batch = batchOf(4);
        clock.advance(Duration.ofMillis(30));
        handler.onComplete(batch, 10_000, PutRecordsResponse.builder().failedRecordCount(2)
                .records(ok("shard-0"), error("ProvisionedThroughputExceededException"), ok("shard-0"),
                        error("InternalFailure")).build(), null);

        List<KinesisEntry> entries = batch.entries();
        assertTrue(entries.get(0).records().get(0).future().isDone());
        assertTrue(entries.get(2).records().get(0).future().isDone());
        assertFalse(entries.get(1).records().get(0).future().isDone());
        assertEquals(30, entries.get(0).records().get(0).future().get().attempts().get(0).duration().toMillis());
        assertEquals(2, collector.queuedEntries(), "only the two failed entries are queued again");
        long notBefore = entries.get(1).notBeforeMillis();
        assertTrue(notBefore >= 10_030 && notBefore <= 10_130, "first backoff below the 100 ms base: " + notBefore);
        assertEquals(notBefore, entries.get(3).notBeforeMillis(), "entries that failed together go again together");
        assertTrue(collector.drain(notBefore - 1, 1).batches.isEmpty());
        List<KinesisEntry> retried = collector.drain(notBefore, 1).batches.get(0).entries();
        assertEquals(List.of(entries.get(1), entries.get(3)), retried);
        assertEquals("ProvisionedThroughputExceededException", entries.get(1).attempts().get(0).errorCode());
    }

    @Test
    void nonRetryableEntryFailsAndIsDeadLetteredAtOnce() {
        PutBatch batch = batchOf(2);
        handler.onComplete(batch, 10_000, PutRecordsResponse.builder().failedRecordCount(1)
                .records(error("KMSAccessDeniedException"), ok("shard-0")).build(), null);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> batch.entries().get(0).records().get(0).future().get());
        assertEquals("KMSAccessDeniedException", assertInstanceOf(RecordFailedException.class, e.getCause())
                .errorCode());
        assertEquals(1, deadLetters.size());
        assertEquals(0, collector.queuedEntries());
        assertEquals(0, budget.outstandingRecords());
    }

    @Test
    void aWholeCallFailureOrAShortAnswerRetriesEveryEntry() {
        PutBatch batch = batchOf(3);
        handler.onComplete(batch, 10_000, null,
                FakeKinesisClient.serviceError("InternalFailure", 500));
        assertEquals(3, collector.queuedEntries());
        PutBatch again = collector.drain(20_000, 1).batches.get(0);
        handler.onComplete(again, 20_000,
                PutRecordsResponse.builder().records(ok("shard-0")).build(), null);
        assertEquals(3, collector.queuedEntries(), "a response that does not match the request is a failure");
        assertEquals("SdkClientException", batch.entries().get(0).attempts().get(1).errorCode());
    }

    @Test
    void aPlainRecordOnAnotherShardSucceedsAndAsksForANewMap() throws Exception {
        PutBatch batch = batchOf(1);
        handler.onComplete(batch, 10_000,
                PutRecordsResponse.builder().records(ok("shard-9")).build(), null);
        assertEquals("shard-9", batch.entries().get(0).records().get(0).future().get().shardId());
        assertEquals(List.of("s"), staleStreams);
    }

    @Test
    void defaultDeadLetterHandlerNeverLogsData() {
        DeadLetterHandler.logging().handle(new FailedRecord("s", "k", null, "secret".getBytes(), List.of(),
                io.purekinesis.producer.FailureReason.TTL_EXPIRED, null, null));
        assertFalse(new FailedRecord("s", "k", null, "secret".getBytes(), List.of(),
                io.purekinesis.producer.FailureReason.TTL_EXPIRED, null, null).toString().contains("secret"));
    }

    /**
     * A "stored" result without shard id or sequence number cannot complete a future (RecordResult requires both):
     * it must not throw half-way (records decided but never completed, the shard busy forever); it is retried.
     */
    @Test
    void storedResultWithoutSequenceNumberIsRetriedAndTheShardIsFreed() throws Exception {
        PutBatch batch = batchOf(2);
        handler.onComplete(batch, 10_000, PutRecordsResponse.builder().failedRecordCount(0)
                .records(PutRecordsResultEntry.builder().build(), ok("shard-0")).build(), null);
        assertTrue(batch.entries().get(1).records().get(0).future().isDone());
        assertFalse(batch.entries().get(0).records().get(0).isDecided());
        assertEquals(1, collector.queuedEntries(), "the first entry waits for its retry");
        clock.advance(Duration.ofSeconds(6));
        PutBatch retry = collector.drain(clock.millis(), 1).batches.get(0);
        assertEquals(batch.entries().get(0), retry.entries().get(0));
    }
}
