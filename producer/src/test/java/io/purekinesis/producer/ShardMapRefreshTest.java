package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.producer.internal.pipeline.StreamPipeline;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.Shard;

@Timeout(90)
class ShardMapRefreshTest {

    private static final String STREAM = "split-stream";
    private KinesisProducer producer;

    @AfterEach
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    @Test
    void resultOnAnUnexpectedShardReloadsTheMapAndResendsRecordsOutsideIt() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofHours(1)).build());
        producer.add(STREAM, "warm-up", new byte[1]);
        producer.flush();
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(1, fake.listShardsRequests().size());

        fake.split("shardId-000000000000", "shardId-000000000001", "shardId-000000000002");
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            keys.add("key-" + i);
            futures.add(producer.add(STREAM, "key-" + i, new byte[] {(byte) i}));
        }
        producer.flush();
        Await.get(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
        assertTrue(fake.listShardsRequests().size() >= 2, "the map was reloaded");

        Map<String, HashKeyRange> ranges = new HashMap<>();
        for (Shard s : fake.shards()) {
            ranges.put(s.shardId(), HashKeyRange.of(s.hashKeyRange().startingHashKey(),
                    s.hashKeyRange().endingHashKey()));
        }
        boolean resent = false;
        for (int i = 0; i < futures.size(); i++) {
            RecordResult r = futures.get(i).get();
            assertTrue(r.shardId().equals("shardId-000000000001") || r.shardId().equals("shardId-000000000002"));
            assertTrue(ranges.get(r.shardId()).contains(HashKeys.partitionKeyHash(keys.get(i))),
                    "record " + i + " reported on the shard that owns its hash key");
            resent |= r.attempts().size() > 1;
        }
        assertTrue(resent, "records outside the shard the aggregate landed on were resent");
        assertTrue(futures.get(0).get().attempts().size() == 1 || futures.get(0).get().attempts().get(0)
                .errorCode().equals("WrongShard"));

        // What a KCL-style consumer keeps (records inside each shard's range): every record exactly once.
        Map<String, Integer> seen = new HashMap<>();
        for (FakeKinesisClient.Stored s : fake.stored()) {
            for (DecodedRecord d : ranges.get(s.shardId())
                    .filter(AggregateDecoder.decode(s.data(), s.partitionKey(), s.explicitHashKey()))) {
                seen.merge(d.partitionKey(), 1, Integer::sum);
            }
        }
        for (String key : keys) {
            assertEquals(1, seen.get(key), key);
        }

        // From now on records are predicted on the children directly.
        int callsBefore = fake.putRequests().size();
        List<CompletableFuture<RecordResult>> after = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            after.add(producer.add(STREAM, "after-" + i, new byte[] {1}));
        }
        producer.flush();
        for (CompletableFuture<RecordResult> f : after) {
            assertEquals(1, Await.get(f).attempts().size());
        }
        assertEquals(callsBefore + 1, fake.putRequests().size());
    }

    /** On the injected clock: each refresh interval that passes brings one more ListShards call. */
    @Test
    void theMapIsRefreshedOnSchedule() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        ManualClock clock = new ManualClock(1_000_000);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).clock(clock)
                .shardMapRefreshInterval(Duration.ofMillis(100)).build());
        CompletableFuture<RecordResult> f = producer.add(STREAM, "k", new byte[1]);
        producer.flush();
        Await.get(f);
        for (int refresh = 1; refresh <= 2; refresh++) {
            int calls = fake.listShardsRequests().size();
            clock.advance(Duration.ofMillis(100));
            Await.until("a refresh of the shard map", () -> fake.listShardsRequests().size() > calls);
            SenderAwait.senderPasses(producer, 2); // the loaded map is taken in: the next interval starts now
        }
        assertTrue(fake.listShardsRequests().size() >= 3, "ListShards calls: " + fake.listShardsRequests().size());
    }

    /**
     * After a reshard, the closed shard's aggregator and collector queue (with its rate limiter) go away: they
     * would otherwise be kept, and scanned on every sender pass, forever.
     */
    @Test
    void perShardStateOfClosedShardsIsDroppedAfterAReshard() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofMillis(5)).shardMapRefreshInterval(Duration.ofMillis(100))
                .build());
        for (int i = 0; i < 100; i++) {
            producer.add(STREAM, "key-" + i, new byte[] {1});
        }
        assertTrue(producer.flushSync(Await.DEADLINE));
        StreamPipeline pipeline = producer.pipeline(STREAM);
        assertEquals(Set.of("shardId-000000000000", "shardId-000000000001"), pipeline.aggregatorShardIds());

        fake.split("shardId-000000000000", "shardId-000000000002", "shardId-000000000003");
        Set<String> open = Set.of("shardId-000000000001", "shardId-000000000002", "shardId-000000000003");
        long deadline = System.nanoTime() + Await.DEADLINE.toNanos();
        int round = 0;
        while (!(open.containsAll(pipeline.aggregatorShardIds())
                && open.containsAll(pipeline.collector().shardIds())) && System.nanoTime() < deadline) {
            for (int i = 0; i < 100; i++) {
                producer.add(STREAM, "key-" + round + "-" + i, new byte[] {1});
            }
            round++;
            assertTrue(producer.flushSync(Await.DEADLINE));
            SenderAwait.senderPasses(producer, 1); // a pass applies a newer map once its load answered
        }
        assertTrue(open.containsAll(pipeline.aggregatorShardIds()), "aggregators: " + pipeline.aggregatorShardIds());
        assertTrue(open.containsAll(pipeline.collector().shardIds()), "queues: " + pipeline.collector().shardIds());
        assertTrue(pipeline.aggregatorShardIds().contains("shardId-000000000001"), "open shards keep theirs");
    }
}
