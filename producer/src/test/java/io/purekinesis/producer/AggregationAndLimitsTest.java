package io.purekinesis.producer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.AggregationFormat;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

@Timeout(60)
class AggregationAndLimitsTest {

    private static final String STREAM = "agg-stream";
    private KinesisProducer producer;

    @AfterEach
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    private KinesisProducer create(FakeKinesisClient fake, ProducerConfig.Builder b) {
        producer = KinesisProducer.create(b.kinesisClient(fake).recordMaxBufferedTime(Duration.ofHours(1))
                .rateLimit(10_000).build());
        return producer;
    }

    private static void assertWithinPutRecordsLimits(FakeKinesisClient fake) {
        for (PutRecordsRequest request : fake.putRequests()) {
            assertTrue(request.records().size() <= 500, "entries: " + request.records().size());
            long bytes = 0;
            for (PutRecordsRequestEntry e : request.records()) {
                bytes += e.data().asByteArray().length + e.partitionKey().getBytes(UTF_8).length;
            }
            assertTrue(bytes <= 5L * 1024 * 1024, "bytes: " + bytes);
        }
    }

    @Test
    void aggregatesStayWithinTheSizeLimitAndDecodeToEveryRecordOnce() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(4);
        create(fake, ProducerConfig.builder());
        Random random = new Random(42);
        int n = 3000;
        List<byte[]> datas = new ArrayList<>();
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[random.nextInt(i % 100 == 0 ? 60_000 : 3000)];
            random.nextBytes(data);
            datas.add(data);
            String ehk = i % 7 == 0 ? new BigInteger(128, random).toString() : null;
            futures.add(producer.add(STREAM, "key-" + (i % 300), ehk, data));
        }
        producer.flush();
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        assertWithinPutRecordsLimits(fake);

        Map<String, FakeKinesisClient.Stored> bySequence = new HashMap<>();
        int aggregates = 0;
        for (FakeKinesisClient.Stored s : fake.stored()) {
            bySequence.put(s.sequenceNumber(), s);
            if (AggregationFormat.hasMagic(s.data())) {
                aggregates++;
                assertTrue(s.data().length <= ProducerConfig.DEFAULT_AGGREGATION_MAX_SIZE, "" + s.data().length);
                assertEquals("a", s.partitionKey());
            }
        }
        assertTrue(aggregates > 10, "aggregates: " + aggregates);
        for (int i = 0; i < n; i++) {
            RecordResult r = futures.get(i).get();
            FakeKinesisClient.Stored s = bySequence.get(r.sequenceNumber());
            assertEquals(r.shardId(), s.shardId());
            List<DecodedRecord> decoded = AggregateDecoder.decode(s.data(), s.partitionKey(), s.explicitHashKey());
            DecodedRecord d = decoded.get((int) r.subSequenceNumber());
            assertArrayEquals(datas.get(i), d.data(), "record " + i);
            assertEquals("key-" + (i % 300), d.partitionKey());
            assertEquals(r.aggregated(), decoded.size() > 1 || d.aggregated());
            if (datas.get(i).length > 51_000) {
                assertFalse(r.aggregated(), "too large to aggregate: plain");
            }
            // every user record of a Kinesis record belongs to the shard it was stored in
            BigInteger hash = HashKeys.effectiveHashKey(d.partitionKey(), d.explicitHashKey());
            assertEquals(fake.shards().stream().filter(sh -> new BigInteger(sh.hashKeyRange().startingHashKey())
                    .compareTo(hash) <= 0 && new BigInteger(sh.hashKeyRange().endingHashKey()).compareTo(hash) >= 0)
                    .findFirst().orElseThrow().shardId(), s.shardId());
        }
        int total = fake.stored().stream()
                .mapToInt(s -> AggregateDecoder.decode(s.data(), s.partitionKey(), s.explicitHashKey()).size()).sum();
        assertEquals(n, total, "each record stored exactly once");
    }

    @Test
    void aSingleRecordGoesPlainWithItsKeyAndEffectiveHashKey() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(4);
        create(fake, ProducerConfig.builder());
        CompletableFuture<RecordResult> f = producer.add(STREAM, "lonely", "hello".getBytes(UTF_8));
        producer.flush();
        producer.flushSync();
        assertEquals(1, fake.stored().size());
        FakeKinesisClient.Stored s = fake.stored().get(0);
        assertEquals("lonely", s.partitionKey());
        assertEquals(HashKeys.partitionKeyHash("lonely").toString(), s.explicitHashKey());
        assertArrayEquals("hello".getBytes(UTF_8), s.data());
        assertFalse(f.get().aggregated());
        assertEquals(0, f.get().subSequenceNumber());
    }

    @Test
    void aggregateIsRoutedByItsFirstRecordsHashKey() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        create(fake, ProducerConfig.builder());
        producer.add(STREAM, "first", new byte[10]);
        producer.add(STREAM, "second", new byte[10]);
        producer.flush();
        producer.flushSync();
        assertEquals(1, fake.stored().size());
        FakeKinesisClient.Stored s = fake.stored().get(0);
        assertEquals("a", s.partitionKey());
        assertEquals(HashKeys.partitionKeyHash("first").toString(), s.explicitHashKey());
        assertEquals(2, AggregateDecoder.decode(s.data(), "a", s.explicitHashKey()).size());
    }

    @Test
    void oneMebibyteRecordGoesPlainAndAlone() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        create(fake, ProducerConfig.builder());
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        futures.add(producer.add(STREAM, "small-1", new byte[100]));
        futures.add(producer.add(STREAM, "small-2", new byte[100]));
        byte[] big = new byte[1024 * 1024 - "big".length()];
        futures.add(producer.add(STREAM, "big", big));
        futures.add(producer.add(STREAM, "small-3", new byte[100]));
        futures.add(producer.add(STREAM, "small-4", new byte[100]));
        producer.flush();
        Await.get(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
        RecordResult bigResult = futures.get(2).get();
        assertFalse(bigResult.aggregated());
        FakeKinesisClient.Stored stored = fake.stored().stream()
                .filter(s -> s.sequenceNumber().equals(bigResult.sequenceNumber())).findFirst().orElseThrow();
        assertEquals("big", stored.partitionKey());
        assertEquals(big.length, stored.data().length);
        // order kept: the aggregate before it, the one after it
        assertTrue(futures.get(1).get().sequenceNumber().compareTo(bigResult.sequenceNumber()) < 0);
        assertTrue(futures.get(3).get().sequenceNumber().compareTo(bigResult.sequenceNumber()) > 0);
        assertWithinPutRecordsLimits(fake);
    }

    @Test
    void putRecordsCallsStayWithin500EntriesAnd5MiB() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(8);
        create(fake, ProducerConfig.builder().aggregationEnabled(false));
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            futures.add(producer.add(STREAM, "k" + i, new byte[10]));
        }
        for (int i = 0; i < 12; i++) {
            futures.add(producer.add(STREAM, "big" + i, new byte[1000 * 1000]));
        }
        producer.flush();
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        assertWithinPutRecordsLimits(fake);
        assertTrue(fake.putRequests().size() >= 3, "calls: " + fake.putRequests().size());
        assertEquals(1212, fake.stored().size());
    }

    @Test
    void aggregationMaxCountCapsRecordsPerAggregate() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        create(fake, ProducerConfig.builder().aggregationMaxCount(10));
        for (int i = 0; i < 95; i++) {
            producer.add(STREAM, "k" + i, new byte[5]);
        }
        producer.flush();
        producer.flushSync();
        int max = 0;
        for (FakeKinesisClient.Stored s : fake.stored()) {
            max = Math.max(max, AggregateDecoder.decode(s.data(), s.partitionKey(), s.explicitHashKey()).size());
        }
        assertEquals(10, max);
        assertEquals(10, fake.stored().size());
    }

    @Test
    void bufferedTimeSendsWithoutFlush() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofMillis(50)).build());
        long start = System.nanoTime();
        Await.get(producer.add(STREAM, "k", new byte[5]));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 40);
    }
}
