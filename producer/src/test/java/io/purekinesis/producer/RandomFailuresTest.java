package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.testkit.FakeKinesisClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many threads add while Kinesis fails entries and whole calls at random: every future completes exactly once,
 * successfully, and every record is stored exactly once, on the shard its future reports.
 */
@Timeout(60)
class RandomFailuresTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void everyRecordIsStoredOnceAndEveryFutureCompletesOnce(boolean aggregation) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(4);
        Random random = new Random(aggregation ? 11 : 12);
        fake.thenFailEntries("ProvisionedThroughputExceededException", 0).thenFailCall("InternalFailure", 500);
        for (int i = 0; i < 400; i++) {
            int roll = random.nextInt(10);
            if (roll < 4) {
                long seed = random.nextLong();
                fake.thenEntryErrors(index -> {
                    int r = new Random(seed + index).nextInt(10);
                    return r == 0 ? "ProvisionedThroughputExceededException" : r == 1 ? "InternalFailure" : null;
                });
            } else if (roll == 4) {
                fake.thenFailCall("InternalFailure", 500);
            } else if (roll == 5) {
                fake.thenFailCall("ThrottlingException", 400);
            } else {
                fake.then(request -> CompletableFuture.completedFuture(fake.respond(request, x -> null)));
            }
        }
        int threads = 4;
        int perThread = 2500;
        int n = threads * perThread;
        AtomicIntegerArray completions = new AtomicIntegerArray(n);
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            futures.add(null);
        }
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .aggregationEnabled(aggregation).recordMaxBufferedTime(Duration.ofMillis(5))
                .retryBaseDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(10)).collectionMaxCount(100)
                .aggregationMaxSize(500).build())) {
            List<Thread> adders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * perThread;
                Thread adder = new Thread(() -> {
                    for (int i = first; i < first + perThread; i++) {
                        int index = i;
                        CompletableFuture<RecordResult> f = producer.add("chaos", "key-" + (i % 97),
                                ByteBuffer.allocate(4).putInt(0, i));
                        f.whenComplete((r, e) -> completions.incrementAndGet(index));
                        futures.set(i, f);
                    }
                });
                adders.add(adder);
                adder.start();
            }
            for (Thread adder : adders) {
                adder.join();
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(40, TimeUnit.SECONDS);
        }
        int[] stored = new int[n];
        ConcurrentHashMap<Integer, String> shardOf = new ConcurrentHashMap<>();
        for (FakeKinesisClient.Stored s : fake.stored()) {
            for (DecodedRecord d : AggregateDecoder.decode(s.data(), s.partitionKey(), s.explicitHashKey())) {
                int i = ByteBuffer.wrap(d.data()).getInt();
                stored[i]++;
                shardOf.put(i, s.shardId());
            }
        }
        int retried = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(1, completions.get(i), "future " + i + " completed once");
            assertEquals(1, stored[i], "record " + i + " stored once");
            RecordResult r = futures.get(i).get();
            assertEquals(shardOf.get(i), r.shardId());
            assertTrue(r.attempts().get(r.attempts().size() - 1).success());
            retried += r.attempts().size() > 1 ? 1 : 0;
        }
        assertTrue(retried > 0, "some records needed retries");
    }

    @Test
    void nothingLeaksFromTheBudget() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        fake.thenFailEntries("KMSDisabledException", 0).thenFailCall("InternalFailure", 500);
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .deadLetterHandler(r -> { }).recordMaxBufferedTime(Duration.ofMillis(1))
                .retryBaseDelay(Duration.ofMillis(1)).build())) {
            for (int i = 0; i < 1000; i++) {
                producer.add("leak", "k" + i, new byte[i % 50]);
            }
            assertTrue(producer.flushSync(Duration.ofSeconds(20)));
            assertEquals(0, producer.outstandingRecords());
            assertEquals(0, producer.outstandingBytes());
        }
    }
}
