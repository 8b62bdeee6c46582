package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A budget smaller than a call: records sit in open aggregates until their buffered time, so an add that finds
 * no room would wait for that time (throughput = maxOutstandingRecords per recordMaxBufferedTime). The sender must
 * send what is buffered as soon as an add runs out of room and no call is in flight.
 */
@Timeout(60)
class SmallBudgetTest {

    @Test
    void anAddThatFindsNoRoomMakesTheSenderSendWhatIsBufferedBeforeTheBufferedTime() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        // The clock never moves: an hour of buffered time never passes, only running out of room sends.
        ManualClock clock = new ManualClock(1_000_000);
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .clock(clock).maxOutstandingRecords(5).addTimeout(Duration.ofSeconds(30))
                .recordMaxBufferedTime(Duration.ofHours(1)).build())) {
            List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                futures.add(producer.add("s", "key-" + i, new byte[] {(byte) i}));
            }
            for (CompletableFuture<RecordResult> f : futures) {
                assertTrue(Await.get(f).sequenceNumber() != null);
            }
            assertTrue(fake.putRequests().size() >= 10, "at most 5 records per call: " + fake.putRequests().size());
        }
    }

    @Test
    void anAddRefusedForLackOfRoomAlsoMakesTheSenderSend() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        ManualClock clock = new ManualClock(1_000_000);
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .clock(clock).maxOutstandingRecords(3).backpressure(BackpressureMode.FAIL_FAST)
                .recordMaxBufferedTime(Duration.ofHours(1)).build())) {
            List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                futures.add(producer.add("s", "key-" + i, new byte[] {(byte) i}));
            }
            try {
                producer.add("s", "key-3", new byte[] {3});
            } catch (BufferFullException expected) {
                // refused at once; the three buffered records must now go without waiting an hour
            }
            for (CompletableFuture<RecordResult> f : futures) {
                assertTrue(Await.get(f).sequenceNumber() != null);
            }
        }
    }
}
