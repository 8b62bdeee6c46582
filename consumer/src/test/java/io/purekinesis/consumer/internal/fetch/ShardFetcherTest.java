package io.purekinesis.consumer.internal.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * The fetcher runs on a {@link ManualScheduler}: its task chain, its waits between reads and its backoffs happen in
 * virtual time, on the test's thread, when the test runs the scheduler; the mocked client answers at once.
 */
class ShardFetcherTest {

    private final ManualScheduler scheduler = new ManualScheduler();
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final List<GetShardIteratorRequest> iteratorRequests = new CopyOnWriteArrayList<>();

    private static Record record(long seq) {
        return Record.builder().sequenceNumber(Long.toString(seq)).partitionKey("k").approximateArrivalTimestamp(
                Instant.EPOCH).data(SdkBytes.fromUtf8String("d" + seq)).build();
    }

    /** A fetcher of shardId-000000000000 of "stream" on the manual scheduler, reading up to 100 records a call. */
    private ShardFetcher.Builder builder(ExtendedSequenceNumber checkpoint) {
        return ShardFetcher.builder().kinesis(kinesis).streamName("stream").shard("shardId-000000000000", null)
                .checkpoint(checkpoint).initialPosition(InitialPosition.trimHorizon()).maxRecords(100)
                .minTimeBetweenReads(Duration.ofMillis(200)).idleTimeBetweenReads(Duration.ofMillis(10))
                .maxPrefetchBatches(3).scheduler(scheduler).time(scheduler).metrics(ConsumerMetrics.NOOP)
                .backoff(Backoff.of(Duration.ofMillis(1), Duration.ofMillis(5), new Random(1)));
    }

    private ShardFetcher fetcher(ExtendedSequenceNumber checkpoint) {
        return builder(checkpoint).build();
    }

    /**
     * The first {@code count} records: runs the fetcher until it parks (prefetch full, or the shard ended) and takes
     * what it queued, until there are that many.
     */
    private List<KinesisUserRecord> drain(ShardFetcher f, int count) throws InterruptedException {
        List<KinesisUserRecord> out = new ArrayList<>();
        for (int round = 0; out.size() < count && round < 100; round++) {
            scheduler.runUntilIdle();
            for (RecordBatch b = f.poll(Duration.ZERO); b != null; b = f.poll(Duration.ZERO)) {
                out.addAll(b.records());
            }
        }
        assertTrue(out.size() >= count, "only " + out.size() + " of " + count + " records");
        return out;
    }

    /** The batch the fetcher queued once nothing is left to run. */
    private RecordBatch firstBatch(ShardFetcher f) throws InterruptedException {
        scheduler.runUntilIdle();
        return next(f);
    }

    @Test
    void firstReadOfALeaseAsksForFewerRecordsThenMaxRecords() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenReturn(CompletableFuture
                .completedFuture(GetShardIteratorResponse.builder().shardIterator("it").build()));
        List<Integer> limits = new CopyOnWriteArrayList<>();
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            GetRecordsRequest r = inv.getArgument(0);
            limits.add(r.limit());
            long seq = 1000 + limits.size();
            return CompletableFuture.completedFuture(GetRecordsResponse.builder().records(record(seq))
                    .nextShardIterator("it").millisBehindLatest(0L).build());
        });
        ShardFetcher f = builder(ExtendedSequenceNumber.TRIM_HORIZON).maxRecords(10_000).build();
        f.start();
        drain(f, 3);
        f.stop();
        assertEquals(List.of(ShardFetcher.FIRST_READ_LIMIT, 10_000, 10_000), limits.subList(0, 3));
    }

    @Test
    void expiredIteratorAndThrottlingNeitherSkipNorRepeat() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenAnswer(inv -> {
            GetShardIteratorRequest r = inv.getArgument(0);
            iteratorRequests.add(r);
            return CompletableFuture.completedFuture(GetShardIteratorResponse.builder()
                    .shardIterator(iteratorRequests.size() == 1 ? "first" : "after").build());
        });
        AtomicInteger calls = new AtomicInteger();
        List<Long> callTimes = new CopyOnWriteArrayList<>();
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            callTimes.add(scheduler.nanoTime());
            GetRecordsRequest r = inv.getArgument(0);
            switch (calls.incrementAndGet()) {
                case 1:
                    return CompletableFuture.completedFuture(GetRecordsResponse.builder()
                            .records(record(1000), record(1001)).nextShardIterator("second").millisBehindLatest(0L)
                            .build());
                case 2:
                    return CompletableFuture.failedFuture(ExpiredIteratorException.builder().message("old").build());
                case 3:
                    assertEquals("after", r.shardIterator());
                    return CompletableFuture.failedFuture(ProvisionedThroughputExceededException.builder()
                            .message("slow down").build());
                default:
                    long base = 1002 + (calls.get() - 4) * 2L;
                    return CompletableFuture.completedFuture(GetRecordsResponse.builder()
                            .records(record(base), record(base + 1)).nextShardIterator("after")
                            .millisBehindLatest(0L).build());
            }
        });
        ShardFetcher f = fetcher(ExtendedSequenceNumber.TRIM_HORIZON);
        f.start();
        List<KinesisUserRecord> records = drain(f, 6);
        f.stop();
        assertEquals(List.of("1000", "1001", "1002", "1003", "1004", "1005"),
                records.subList(0, 6).stream().map(KinesisUserRecord::sequenceNumber).toList());
        assertEquals("TRIM_HORIZON", iteratorRequests.get(0).shardIteratorTypeAsString());
        assertEquals("AFTER_SEQUENCE_NUMBER", iteratorRequests.get(1).shardIteratorTypeAsString());
        assertEquals("1001", iteratorRequests.get(1).startingSequenceNumber());
        for (int i = 1; i < callTimes.size(); i++) {
            long gapMillis = (callTimes.get(i) - callTimes.get(i - 1)) / 1_000_000;
            assertTrue(gapMillis >= 190, "GetRecords calls " + gapMillis + " ms apart: more than 5 per second");
        }
    }

    @Test
    void resumesAtTheCheckpointInsideAnAggregateWithAtSequenceNumber() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenAnswer(inv -> {
            iteratorRequests.add(inv.getArgument(0));
            return CompletableFuture.completedFuture(GetShardIteratorResponse.builder().shardIterator("it").build());
        });
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenReturn(CompletableFuture.completedFuture(
                GetRecordsResponse.builder().records(DeaggregatorTest.aggregate("500", 4), record(600))
                        .nextShardIterator(null).build()));
        ShardFetcher f = fetcher(ExtendedSequenceNumber.of("500", 1));
        f.start();
        RecordBatch batch = firstBatch(f);
        assertEquals("AT_SEQUENCE_NUMBER", iteratorRequests.get(0).shardIteratorTypeAsString());
        assertEquals("500", iteratorRequests.get(0).startingSequenceNumber());
        assertEquals(List.of(2L, 3L, 0L), batch.records().stream().map(KinesisUserRecord::subSequenceNumber).toList());
        assertTrue(batch.shardEnd());
    }

    private GetShardIteratorRequest firstIteratorRequest(ExtendedSequenceNumber checkpoint, InitialPosition initial)
            throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenAnswer(inv -> {
            iteratorRequests.add(inv.getArgument(0));
            return CompletableFuture.completedFuture(GetShardIteratorResponse.builder().shardIterator("it").build());
        });
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenReturn(CompletableFuture.completedFuture(
                GetRecordsResponse.builder().records(List.of()).nextShardIterator(null).build()));
        ShardFetcher f = builder(checkpoint).initialPosition(initial).build();
        f.start();
        assertTrue(firstBatch(f).shardEnd());
        return iteratorRequests.get(0);
    }

    @Test
    void newLeasesStartAtTheirSentinel() throws Exception {
        assertEquals("LATEST", firstIteratorRequest(ExtendedSequenceNumber.LATEST, InitialPosition.latest())
                .shardIteratorTypeAsString());
    }

    @Test
    void atTimestampUsesTheConfiguredTimestamp() throws Exception {
        Instant at = Instant.parse("2026-01-02T03:04:05Z");
        GetShardIteratorRequest r = firstIteratorRequest(ExtendedSequenceNumber.AT_TIMESTAMP,
                InitialPosition.atTimestamp(at));
        assertEquals("AT_TIMESTAMP", r.shardIteratorTypeAsString());
        assertEquals(at, r.timestamp());
    }

    private static Record bigRecord(long seq, int bytes) {
        return Record.builder().sequenceNumber(Long.toString(seq)).partitionKey("k").approximateArrivalTimestamp(
                Instant.EPOCH).data(SdkBytes.fromByteArray(new byte[bytes])).build();
    }

    @Test
    void prefetchIsBoundedInBytesNotOnlyInBatches() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenReturn(CompletableFuture
                .completedFuture(GetShardIteratorResponse.builder().shardIterator("it").build()));
        AtomicInteger calls = new AtomicInteger();
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            long seq = 1000 + calls.getAndIncrement();
            return CompletableFuture.completedFuture(GetRecordsResponse.builder().records(bigRecord(seq, 600))
                    .nextShardIterator("it").millisBehindLatest(0L).build());
        });
        // room for 10 batches, but only 1,000 bytes: after two 600-byte batches it must stop reading
        ManualScheduler manual = scheduler;
        ShardFetcher f = builder(ExtendedSequenceNumber.TRIM_HORIZON).minTimeBetweenReads(Duration.ofMillis(1))
                .maxPrefetchBatches(10).maxPrefetchBytes(1_000).build();
        f.start();
        // every answer is there at once: the chain reads until the bound stops it, then parks (an unbounded
        // prefetch never parks and fails runUntilIdle)
        manual.runUntilIdle();
        assertFalse(f.isStopped(), "parked, not stopped");
        assertEquals(2, calls.get(), "GetRecords calls while 1,200 bytes were queued with a 1,000-byte bound");
        assertEquals("1000", next(f).records().get(0).sequenceNumber());
        // 600 bytes queued now: reading resumes, and stops again at the bound
        manual.runUntilIdle();
        assertEquals(3, calls.get());
        assertEquals("1001", next(f).records().get(0).sequenceNumber());
        assertEquals("1002", next(f).records().get(0).sequenceNumber());
        f.stop();
    }

    @Test
    void anExceptionWhileHandlingAResponseDoesNotEndTheFetchLoopNorSkipOrRepeat() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenReturn(CompletableFuture
                .completedFuture(GetShardIteratorResponse.builder().shardIterator("it-0").build()));
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            GetRecordsRequest r = inv.getArgument(0);
            int n = Integer.parseInt(r.shardIterator().substring(3));
            return CompletableFuture.completedFuture(GetRecordsResponse.builder()
                    .records(record(1000 + 2L * n), record(1001 + 2L * n)).nextShardIterator("it-" + (n + 1))
                    .millisBehindLatest(0L).build());
        });
        AtomicInteger metricCalls = new AtomicInteger();
        ConsumerMetrics throwsOnce = new ConsumerMetrics() {
            @Override
            public void millisBehindLatest(String shardId, long millis) {
                if (metricCalls.incrementAndGet() == 2) {
                    throw new IllegalStateException("metrics backend down");
                }
            }
        };
        ShardFetcher f = builder(ExtendedSequenceNumber.TRIM_HORIZON).minTimeBetweenReads(Duration.ofMillis(1))
                .metrics(throwsOnce).build();
        f.start();
        List<KinesisUserRecord> records = drain(f, 8);
        f.stop();
        assertEquals(List.of("1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007"),
                records.stream().limit(8).map(KinesisUserRecord::sequenceNumber).toList());
    }

    /** Iterator requests of a fetcher whose first read is empty, whose second finds the iterator expired. */
    private List<GetShardIteratorRequest> iteratorRequestsAfterAnEarlyExpiry(ExtendedSequenceNumber checkpoint,
            InitialPosition initial) throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenAnswer(inv -> {
            iteratorRequests.add(inv.getArgument(0));
            return CompletableFuture.completedFuture(GetShardIteratorResponse.builder()
                    .shardIterator("it-" + iteratorRequests.size()).build());
        });
        AtomicInteger calls = new AtomicInteger();
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            switch (calls.incrementAndGet()) {
                case 1:
                    return CompletableFuture.completedFuture(GetRecordsResponse.builder().records(List.of())
                            .nextShardIterator("it-1b").millisBehindLatest(0L).build());
                case 2:
                    return CompletableFuture.failedFuture(ExpiredIteratorException.builder().message("old").build());
                default:
                    return CompletableFuture.completedFuture(GetRecordsResponse.builder().records(record(1000))
                            .nextShardIterator(null).millisBehindLatest(0L).build());
            }
        });
        ShardFetcher f = builder(checkpoint).initialPosition(initial).minTimeBetweenReads(Duration.ofMillis(1))
                .idleTimeBetweenReads(Duration.ofMillis(1)).build();
        f.start();
        RecordBatch batch = firstBatch(f);
        assertTrue(batch != null && batch.shardEnd());
        assertEquals("1000", batch.records().get(0).sequenceNumber());
        assertEquals(2, iteratorRequests.size());
        return iteratorRequests;
    }

    @Test
    void anExpiredLatestIteratorBeforeAnyRecordRestartsAtTheTimeOfTheFirstIteratorNotAtLatest() throws Exception {
        // the first iterator is requested at once, at the scheduler's starting wall time
        Instant firstIteratorAt = scheduler.wallTime();
        List<GetShardIteratorRequest> requests = iteratorRequestsAfterAnEarlyExpiry(ExtendedSequenceNumber.LATEST,
                InitialPosition.latest());
        assertEquals("LATEST", requests.get(0).shardIteratorTypeAsString());
        assertEquals("AT_TIMESTAMP", requests.get(1).shardIteratorTypeAsString());
        assertEquals(firstIteratorAt.minus(IteratorPosition.LATEST_RESTART_CLOCK_SKEW_MARGIN),
                requests.get(1).timestamp());
    }

    @Test
    void anExpiredAtTimestampIteratorBeforeAnyRecordRestartsAtTheConfiguredTimestamp() throws Exception {
        Instant at = Instant.parse("2026-01-02T03:04:05Z");
        List<GetShardIteratorRequest> requests = iteratorRequestsAfterAnEarlyExpiry(
                ExtendedSequenceNumber.AT_TIMESTAMP, InitialPosition.atTimestamp(at));
        for (GetShardIteratorRequest r : requests) {
            assertEquals("AT_TIMESTAMP", r.shardIteratorTypeAsString());
            assertEquals(at, r.timestamp());
        }
    }

    @Test
    void thePrefetchBoundCountsEachRecordsHeapFootprintNotOnlyItsData() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenReturn(CompletableFuture
                .completedFuture(GetShardIteratorResponse.builder().shardIterator("it").build()));
        AtomicInteger calls = new AtomicInteger();
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            long seq = 1000 + 10L * calls.getAndIncrement();
            List<Record> ten = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ten.add(bigRecord(seq + i, 10));
            }
            return CompletableFuture.completedFuture(GetRecordsResponse.builder().records(ten)
                    .nextShardIterator("it").millisBehindLatest(0L).build());
        });
        // 100 data bytes per response, but 10 records of >= 120 bytes of heap each: one response fills 1,000 bytes
        ManualScheduler manual = scheduler;
        ShardFetcher f = builder(ExtendedSequenceNumber.TRIM_HORIZON).minTimeBetweenReads(Duration.ofMillis(1))
                .maxPrefetchBatches(100).maxPrefetchBytes(1_000).build();
        f.start();
        manual.runUntilIdle(); // parked at the bound: nothing more is read until a batch is taken
        assertFalse(f.isStopped(), "parked, not stopped");
        assertEquals(1, calls.get(), "GetRecords calls while 10 records (100 data bytes) were queued");
        RecordBatch first = next(f);
        assertEquals(100, first.bytes());
        assertEquals(10 * (10 + 2 * 1 + 2 * 4 + Deaggregator.PER_RECORD_OVERHEAD_BYTES), first.footprintBytes());
        manual.runUntilIdle();
        assertEquals("1010", next(f).records().get(0).sequenceNumber());
        f.stop();
    }

    @Test
    void aShardThatExpiredPastRetentionEndsWithoutChildren() throws Exception {
        AtomicInteger notFound = new AtomicInteger();
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenAnswer(inv -> {
            notFound.incrementAndGet();
            return CompletableFuture.failedFuture(ResourceNotFoundException.builder()
                    .message("Shard shardId-000000000000 does not exist").build());
        });
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenReturn(
                CompletableFuture.completedFuture(DescribeStreamSummaryResponse.builder().build()));
        ShardFetcher f = fetcher(ExtendedSequenceNumber.of("1000", 0));
        f.start();
        scheduler.runUntilIdle(); // the chain ends with the shard: nothing is left to run
        RecordBatch end = f.poll(Duration.ZERO);
        assertTrue(end != null && end.shardEnd(), "the shard ends");
        assertTrue(end.records().isEmpty() && end.childShards().isEmpty());
        assertEquals(ShardFetcher.SHARD_GONE_CONFIRMATIONS, notFound.get(), "confirmed before giving up on it");
        assertTrue(f.isStopped());
    }

    @Test
    void aShardIsNotEndedWhileItsStreamCannotBeFound() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenReturn(CompletableFuture.failedFuture(
                ResourceNotFoundException.builder().message("Stream stream not found").build()));
        AtomicInteger describes = new AtomicInteger();
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenAnswer(inv -> {
            describes.incrementAndGet();
            return CompletableFuture.failedFuture(ResourceNotFoundException.builder().message("no stream").build());
        });
        ShardFetcher f = fetcher(ExtendedSequenceNumber.TRIM_HORIZON);
        f.start();
        // it retries for ever, a few milliseconds apart: run a second of it
        for (int step = 0; step < 20; step++) {
            scheduler.advance(Duration.ofMillis(50));
            assertEquals(null, f.poll(Duration.ZERO));
        }
        f.stop();
        assertTrue(describes.get() >= 2, "keeps retrying");
    }

    @Test
    void aFailedGetShardIteratorIsRetriedByOneTaskChainOnly() throws Exception {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenAnswer(inv -> {
            iteratorRequests.add(inv.getArgument(0));
            return iteratorRequests.size() == 1
                    ? CompletableFuture.failedFuture(ProvisionedThroughputExceededException.builder().message("slow")
                            .build())
                    : CompletableFuture.completedFuture(GetShardIteratorResponse.builder().shardIterator("it")
                            .build());
        });
        // reads stay unanswered until the test answers them: one task chain has exactly one read in flight at a
        // time, a second chain would have two (or ask for a third iterator)
        List<CompletableFuture<GetRecordsResponse>> reads = new CopyOnWriteArrayList<>();
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            CompletableFuture<GetRecordsResponse> read = new CompletableFuture<>();
            reads.add(read);
            return read;
        });
        ManualScheduler manual = scheduler;
        ShardFetcher f = builder(ExtendedSequenceNumber.TRIM_HORIZON).idleTimeBetweenReads(Duration.ofMillis(300))
                .build();
        f.start();
        manual.runUntilIdle(); // the failed GetShardIterator, its retry, the first read
        assertEquals(2, iteratorRequests.size(), "one retry");
        assertEquals(1, reads.size(), "reads in flight after the retry");
        for (int answered = 1; answered <= 5; answered++) {
            reads.get(answered - 1).complete(GetRecordsResponse.builder().nextShardIterator("it")
                    .millisBehindLatest(0L).build());
            manual.runUntilIdle(); // the answer is handled, the next read sent after the idle time
            assertEquals(answered + 1, reads.size(), "reads sent after " + answered + " answered");
        }
        assertEquals(2, iteratorRequests.size(), "one retry");
        f.stop();
    }

    /** The batch already queued; fails instead of waiting when there is none. */
    private static RecordBatch next(ShardFetcher f) throws InterruptedException {
        RecordBatch b = f.poll(Duration.ZERO);
        assertNotNull(b, "no batch queued");
        return b;
    }
}
