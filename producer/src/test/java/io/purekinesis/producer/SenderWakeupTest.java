package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many shards, records trickling in: a sender pass costs O(shards), so a pass per new aggregate (one per shard per
 * buffered time) would keep the sender thread busy and the collector's lock hot. With the default buffered time
 * the loop's own cadence sees new aggregates in time; only full batches and finished calls wake it.
 */
@Timeout(90)
class SenderWakeupTest {

    @Test
    void newAggregatesDoNotWakeTheSenderWhenItsCadenceSuffices() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1000);
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofMillis(200)).build())) {
            Await.get(producer.add("wide", "warm-up", new byte[1]));
            long before = producer.sender().passes();
            long start = System.nanoTime();
            for (int i = 0; i < 20_000; i++) {
                producer.add("wide", "key-" + i, new byte[8]);
                if (i % 200 == 199) {
                    // Real time on purpose: the test measures the sender's cadence (it parks for real time between
                    // passes) against ~1 s of adds, about one new aggregate per shard per buffered time.
                    Thread.sleep(10);
                }
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            long passes = producer.sender().passes() - before;
            assertTrue(producer.flushSync(Await.DEADLINE));
            // Cadence (one per 50 ms) plus a few per call: far below one per new aggregate (~10,000 here).
            long allowed = 2 * millis / 50 + 5 * fake.putRequests().size() + 50;
            assertTrue(passes <= allowed, passes + " sender passes in " + millis + " ms, "
                    + fake.putRequests().size() + " calls; allowed " + allowed);
        }
    }
}
