package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import org.junit.jupiter.api.Test;

/** The fixtures users take for unit tests: {@link ManualClock}, {@link Await}, {@link FakeKinesisClient}. */
class TestFixturesTest {

    @Test
    void theManualClockMovesOnlyWhenAdvanced() {
        ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        long start = clock.millis();
        assertEquals(start, clock.millis());
        clock.advance(Duration.ofMillis(1500));
        assertEquals(start + 1500, clock.millis());
        assertEquals(Instant.parse("2026-01-01T00:00:01.500Z"), clock.instant());
    }

    @Test
    void awaitReturnsOnTheEventAndNamesWhatNeverCame() throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        new Thread(latch::countDown).start();
        Await.until("the other thread", () -> latch.getCount() == 0);
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("a thing that never happens", Duration.ofMillis(50), () -> false));
        assertTrue(e.getMessage().contains("a thing that never happens"), e.getMessage());
    }

    @Test
    void awaitSeesAThreadParkedInTheNamedMethod() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        try {
            Await.parkedIn(t, CountDownLatch.class.getName(), "await");
        } finally {
            t.interrupt();
        }
    }

    @Test
    void theFakeRoutesByPartitionKeyLikeKinesisAndFollowsItsScript() {
        FakeKinesisClient kinesis = FakeKinesisClient.withShards(4);
        assertEquals(4, kinesis.listShards(b -> b.streamName("s").shardFilter(f -> f.type(ShardFilterType.AT_LATEST)))
                .join().shards().size());
        // MD5("a") = 0cc175b9..., in the first quarter of the hash key space
        PutRecordsResponse ok = kinesis.putRecords(b -> b.streamName("s").records(entry("a"))).join();
        assertEquals("shardId-000000000000", ok.records().get(0).shardId());

        kinesis.thenFailEntries("ProvisionedThroughputExceededException", 1);
        PutRecordsResponse partial = kinesis.putRecords(b -> b.streamName("s").records(entry("a"), entry("b")))
                .join();
        assertEquals(1, partial.failedRecordCount());
        assertNull(partial.records().get(0).errorCode());
        assertEquals("ProvisionedThroughputExceededException", partial.records().get(1).errorCode());
        assertEquals(2, kinesis.stored().size(), "the failed entry is not stored");

        kinesis.thenFailCall("InternalFailure", 500);
        CompletionException e = assertThrows(CompletionException.class,
                () -> kinesis.putRecords(b -> b.streamName("s").records(entry("c"))).join());
        assertTrue(e.getCause().getMessage().contains("InternalFailure"), e.getCause().getMessage());
        assertEquals(3, kinesis.putRequests().size());
    }

    private static PutRecordsRequestEntry entry(String key) {
        return PutRecordsRequestEntry.builder().partitionKey(key).data(SdkBytes.fromUtf8String(key)).build();
    }
}
