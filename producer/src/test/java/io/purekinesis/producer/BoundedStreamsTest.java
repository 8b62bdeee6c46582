package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.internal.pipeline.StreamRegistry;
import io.purekinesis.producer.internal.shardmap.FailedStreams;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;

/** Per-stream state follows the streams in use: bad names, idle streams and load storms stay bounded. */
@Timeout(120)
class BoundedStreamsTest {

    private KinesisProducer producer;

    @AfterEach
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        Await.until(what, Duration.ofSeconds(60), condition);
    }

    private static FailureReason reason(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
        return assertInstanceOf(RecordFailedException.class, e.getCause()).reason();
    }

    @Test
    void tenThousandDistinctBadNamesLeaveBoundedStateAndTheGoodStreamKeepsStoring() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        fake.onlyStreams("good");
        AtomicInteger deadLettered = new AtomicInteger();
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .deadLetterHandler(r -> deadLettered.incrementAndGet()).recordMaxBufferedTime(Duration.ofMillis(5))
                .build());
        List<CompletableFuture<RecordResult>> good = new ArrayList<>();
        List<CompletableFuture<RecordResult>> bad = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            bad.add(producer.add(String.format("bad-%05d", i), "k", new byte[] {1}));
            if (i % 100 == 0) {
                good.add(producer.add("good", "k" + i, new byte[] {2}));
            }
        }
        for (CompletableFuture<RecordResult> f : good) {
            assertNotNull(f.get(60, TimeUnit.SECONDS).sequenceNumber());
        }
        int notFound = 0;
        for (CompletableFuture<RecordResult> f : bad) {
            // Found missing, or (more than MAX_NEW_STREAMS_WAITING new names at once) not even tried.
            RecordFailedException e = assertInstanceOf(RecordFailedException.class,
                    assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS)).getCause());
            if (e.reason() == FailureReason.STREAM_NOT_FOUND) {
                notFound++;
            } else {
                assertEquals("TooManyNewStreams", e.errorCode(), e.getMessage());
            }
        }
        assertTrue(notFound >= StreamRegistry.MAX_NEW_STREAMS_WAITING, "found missing: " + notFound);
        StreamRegistry streams = producer.streams();
        await(() -> streams.pipelines().size() <= 1, "the bad streams' pipelines to be released");
        assertTrue(streams.failedStreams() <= FailedStreams.MAX_ENTRIES, "failed streams remembered: "
                + streams.failedStreams());
        assertNull(producer.pipeline("bad-00000"));
        assertNotNull(producer.pipeline("good"));
        assertEquals(10_000, deadLettered.get());
        assertEquals(0, producer.outstandingRecords());
        producer.add("good", "after", new byte[] {3}).get(60, TimeUnit.SECONDS);
    }

    @Test
    void tenThousandAddsToOneBadNameCostOneListShards() throws Exception {
        ManualClock clock = new ManualClock(1_000_000);
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        fake.onlyStreams("good");
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).clock(clock)
                .deadLetterHandler(r -> { }).build());
        assertEquals(FailureReason.STREAM_NOT_FOUND, reason(producer.add("typo", "k", new byte[] {1})));
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            futures.add(producer.add("typo", "k" + i, new byte[] {1}));
        }
        for (CompletableFuture<RecordResult> f : futures) {
            assertEquals(FailureReason.STREAM_NOT_FOUND, reason(f));
        }
        assertEquals(1, fake.listShardsRequests().size());
        // Once the memory expires the stream is tried again: one more call, and longer blocked after it.
        clock.advance(Duration.ofSeconds(2));
        assertEquals(FailureReason.STREAM_NOT_FOUND, reason(producer.add("typo", "k", new byte[] {1})));
        assertEquals(2, fake.listShardsRequests().size());
    }

    @Test
    void anIdleStreamIsReleasedAndALaterAddStartsAfresh() throws Exception {
        ManualClock clock = new ManualClock(1_000_000);
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).clock(clock)
                .recordMaxBufferedTime(Duration.ZERO).streamIdleTimeout(Duration.ofSeconds(30))
                .shardMapRefreshInterval(Duration.ofHours(1)).build());
        producer.add("s", "k", new byte[] {1}).get(20, TimeUnit.SECONDS);
        assertNotNull(producer.pipeline("s"));
        // The sender notices activity when it looks (about once a second of the clock): advance until released.
        await(() -> {
            clock.advance(Duration.ofSeconds(5));
            return producer.pipeline("s") == null;
        }, "the idle pipeline to be released");
        assertTrue(clock.millis() - 1_000_000 >= 30_000, "not before its idle timeout");
        assertEquals(0, producer.streams().pipelines().size());
        producer.add("s", "k", new byte[] {2}).get(20, TimeUnit.SECONDS);
        assertNotNull(producer.pipeline("s"));
        assertEquals(2, fake.listShardsRequests().size(), "loaded again after the release");
    }

    @Test
    void shardMapLoadsAreBoundedAndNewStreamsWaitBehindThemWithoutStarvingAWorkingOne() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        AtomicInteger stalled = new AtomicInteger();
        KinesisProducer p = KinesisProducer.create(ProducerConfig.builder()
                .kinesisClient(new StallingLoads(fake, stalled)).deadLetterHandler(r -> { })
                .requestTimeout(Duration.ofMinutes(10)).shardMapRefreshInterval(Duration.ofMillis(100))
                .recordMaxBufferedTime(Duration.ofMillis(1)).build());
        producer = p;
        p.add("good", "k", new byte[] {1}).get(20, TimeUnit.SECONDS);
        for (int i = 0; i < 100; i++) {
            p.add("stalls-" + i, "k", new byte[] {1});
        }
        int newcomerSlots = StreamRegistry.MAX_SHARD_MAP_LOADS - StreamRegistry.LOAD_SLOTS_RESERVED_FOR_REFRESHES;
        await(() -> stalled.get() == newcomerSlots, "the first-load slots to fill");
        int refreshesBefore = (int) fake.listShardsRequests().stream().filter(r -> "good".equals(r.streamName()))
                .count();
        await(() -> fake.listShardsRequests().stream().filter(r -> "good".equals(r.streamName())).count()
                > refreshesBefore + 2, "the working stream's refreshes to go on");
        p.add("good", "k", new byte[] {2}).get(20, TimeUnit.SECONDS);
        assertEquals(newcomerSlots, stalled.get(), "no more than the first-load slots in flight");
    }

    @Test
    void newStreamsWaitingForTheirFirstShardMapAreBoundedTheNextFailAtOnce() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        AtomicInteger stalled = new AtomicInteger();
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(new StallingLoads(fake, stalled))
                .deadLetterHandler(r -> { }).requestTimeout(Duration.ofMinutes(10)).build());
        producer.add("good", "k", new byte[] {1}).get(20, TimeUnit.SECONDS);
        int max = StreamRegistry.MAX_NEW_STREAMS_WAITING;
        for (int i = 0; i < max; i++) {
            producer.add("stalls-" + i, "k", new byte[] {1});
        }
        RecordFailedException e = assertInstanceOf(RecordFailedException.class, assertThrows(
                ExecutionException.class, () -> producer.add("stalls-one-more", "k", new byte[] {1})
                        .get(20, TimeUnit.SECONDS)).getCause());
        assertEquals("TooManyNewStreams", e.errorCode());
        assertTrue(e.getMessage().contains("already waiting for their first shard map"), e.getMessage());
        assertEquals(max + 1, producer.streams().pipelines().size(), "the good stream and the waiting ones");
        producer.add("good", "k", new byte[] {2}).get(20, TimeUnit.SECONDS);
    }

    /** ListShards of streams named stalls-* never answers. */
    private static final class StallingLoads extends DelegatingKinesis {
        private final AtomicInteger stalled;

        StallingLoads(FakeKinesisClient fake, AtomicInteger stalled) {
            super(fake);
            this.stalled = stalled;
        }

        @Override
        public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
            if (request.streamName() != null && request.streamName().startsWith("stalls-")) {
                stalled.incrementAndGet();
                return new CompletableFuture<>();
            }
            return super.listShards(request);
        }
    }
}
