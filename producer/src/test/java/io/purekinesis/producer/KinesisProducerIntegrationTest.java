package io.purekinesis.producer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.producer.internal.pipeline.StreamPipeline;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.LocalKinesis;
import io.purekinesis.testkit.Streams;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** The producer against the local Kinesis emulator (see /work/shared/local-endpoints.md for its limits). */
@ExtendWith(LocalEndpointsExtension.class)
@Timeout(180)
class KinesisProducerIntegrationTest {

    private static String index(int i) {
        return String.format("%07d", i);
    }

    private static int indexOf(byte[] data) {
        return Integer.parseInt(new String(data, 0, 7, UTF_8));
    }

    private static Map<String, HashKeyRange> ranges(KinesisAsyncClient kinesis, String stream) {
        Map<String, HashKeyRange> ranges = new HashMap<>();
        for (Shard s : kinesis.listShards(b -> b.streamName(stream)).join().shards()) {
            ranges.put(s.shardId(), HashKeyRange.of(s.hashKeyRange().startingHashKey(),
                    s.hashKeyRange().endingHashKey()));
        }
        return ranges;
    }

    private final List<String> streams = new ArrayList<>();

    /** The emulator allows 50 open shards per account: leave none behind. */
    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        for (String stream : streams) {
            Streams.deleteStream(kinesis, stream);
        }
    }

    private String createStream(KinesisAsyncClient kinesis, String prefix, int shards) {
        String stream = Streams.uniqueStreamName(prefix);
        Streams.createStream(kinesis, stream, shards);
        streams.add(stream);
        return stream;
    }

    @Test
    void hundredThousandRecordsOverAThousandKeysAreReadBackExactlyOnceWhereTheirFuturesSaid(
            KinesisAsyncClient kinesis) throws Exception {
        String stream = createStream(kinesis, "producer-100k", 4);
        int n = 100_000;
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>(n);
        long start = System.nanoTime();
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis)
                .producerName("it-100k").build())) {
            for (int i = 0; i < n; i++) {
                byte[] data = (index(i) + "-payload-" + (i % 1000)).getBytes(UTF_8);
                futures.add(producer.add(stream, "key-" + (i % 1000), data));
            }
            producer.flush();
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(90, TimeUnit.SECONDS);
        }
        long putMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        List<Streams.ShardRecord> stored = Streams.readAll(kinesis, stream, Duration.ofSeconds(60));
        int[] seen = new int[n];
        int aggregated = 0;
        for (Streams.ShardRecord s : stored) {
            List<DecodedRecord> decoded = AggregateDecoder.decode(s.data(), s.partitionKey(), null);
            if (decoded.size() > 1 || decoded.get(0).aggregated()) {
                aggregated++;
            }
            for (DecodedRecord d : decoded) {
                int i = indexOf(d.data());
                seen[i]++;
                RecordResult r = futures.get(i).get();
                assertEquals(r.shardId(), s.shardId(), "shard of record " + i);
                assertEquals(r.sequenceNumber(), s.sequenceNumber(), "sequence number of record " + i);
                assertEquals(r.subSequenceNumber(), d.subSequenceNumber(), "sub-sequence number of record " + i);
                assertEquals("key-" + (i % 1000), d.partitionKey());
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "record " + i + " stored exactly once");
        }
        System.out.printf("[producer-100k] %,d user records put in %,d ms; read back %,d Kinesis records "
                + "(%,d aggregated) holding %,d user records%n", n, putMillis, stored.size(), aggregated, n);
        assertTrue(aggregated > 0);
    }

    @Test
    void keepsWorkingWhenTheStreamIsSplitUnderIt(KinesisAsyncClient kinesis) throws Exception {
        String stream = createStream(kinesis, "producer-split", 2);
        Map<String, HashKeyRange> before = ranges(kinesis, stream);
        HashKeyRange first = before.get("shardId-000000000000");
        BigInteger middle = first.startingHashKey().add(first.endingHashKey()).shiftRight(1);

        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        int afterSplitFrom = -1;
        // Per-key order is checked below: strict ordering keeps it even when a call must be retried (on a loaded
        // machine the emulator can pass the request timeout), and a generous timeout keeps such retries, which
        // could store a call twice, rare.
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis)
                .recordMaxBufferedTime(Duration.ofMillis(50)).strictOrdering(true)
                .requestTimeout(Duration.ofSeconds(30)).producerName("it-split").build())) {
            for (int round = 0; round < 60; round++) {
                if (round == 15) {
                    kinesis.splitShard(b -> b.streamName(stream).shardToSplit("shardId-000000000000")
                            .newStartingHashKey(middle.toString())).join();
                    Streams.waitForActive(kinesis, stream, Duration.ofSeconds(60));
                }
                if (round == 40) {
                    // Well after the split: the producer knows the children (its map has three open shards), so
                    // every record from here on is predicted on them, however slowly this machine ran so far.
                    StreamPipeline pipeline = producer.pipeline(stream);
                    Await.until("the producer to load the shard map with the split's children",
                            () -> pipeline.shardMap() != null && pipeline.shardMap().size() == 3);
                    afterSplitFrom = futures.size();
                }
                for (int j = 0; j < 200; j++) {
                    int i = futures.size();
                    String key = "key-" + (i % 500);
                    keys.add(key);
                    futures.add(producer.add(stream, key, (index(i) + "-split").getBytes(UTF_8)));
                }
                Thread.sleep(50); // pacing only: calls before, during and after the split
            }
            producer.flush();
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        }

        Map<String, HashKeyRange> after = ranges(kinesis, stream);
        assertEquals(4, after.size(), "parent, two children, untouched shard");
        int onChildren = 0;
        for (int i = 0; i < futures.size(); i++) {
            RecordResult r = futures.get(i).get();
            BigInteger hash = HashKeys.partitionKeyHash(keys.get(i));
            assertTrue(after.get(r.shardId()).contains(hash), "record " + i + " reported on a shard owning it");
            if (i >= afterSplitFrom && first.contains(hash)) {
                assertTrue(r.shardId().equals("shardId-000000000002") || r.shardId().equals("shardId-000000000003"),
                        "record " + i + " added well after the split landed on a child, not " + r.shardId());
                onChildren++;
            }
        }
        assertTrue(onChildren > 0);

        // What a KCL consumer keeps (user records inside the shard's range): each record exactly once, and per
        // key in add order when shards are read parent first (a parent's id sorts before its children's), each
        // in sequence-number order.
        int[] seen = new int[futures.size()];
        List<Streams.ShardRecord> read = new ArrayList<>(Streams.readAll(kinesis, stream, Duration.ofSeconds(60)));
        read.sort(java.util.Comparator.comparing(Streams.ShardRecord::shardId)); // stable: keeps sequence order
        Map<String, Integer> lastOfKey = new HashMap<>();
        for (Streams.ShardRecord s : read) {
            HashKeyRange range = after.get(s.shardId());
            assertNotNull(range);
            for (DecodedRecord d : range.filter(AggregateDecoder.decode(s.data(), s.partitionKey(), null))) {
                int i = indexOf(d.data());
                seen[i]++;
                Integer last = lastOfKey.put(keys.get(i), i);
                assertTrue(last == null || last < i, "key " + keys.get(i) + ": record " + i + " read after " + last);
            }
        }
        for (int i = 0; i < seen.length; i++) {
            assertEquals(1, seen[i], "record " + i);
        }
        System.out.printf("[producer-split] %,d records, %,d added after the split on the children%n",
                futures.size(), onChildren);
    }

    @Test
    void buildsAndClosesItsOwnClientFromRegionEndpointAndCredentials(KinesisAsyncClient kinesis, LocalKinesis local)
            throws Exception {
        String stream = createStream(kinesis, "producer-owned", 1);
        RecordResult result;
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().region(Region.US_EAST_1)
                .endpointOverride(local.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy")))
                .build())) {
            result = producer.add(stream, "k", "owned".getBytes(UTF_8)).get(30, TimeUnit.SECONDS);
        }
        List<Streams.ShardRecord> stored = Streams.readAll(kinesis, stream);
        assertEquals(1, stored.size());
        assertEquals(result.sequenceNumber(), stored.get(0).sequenceNumber());
        assertEquals("owned", new String(stored.get(0).data(), UTF_8));
    }
}
