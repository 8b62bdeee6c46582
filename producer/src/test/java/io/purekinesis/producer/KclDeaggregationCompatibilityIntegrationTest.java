package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

/**
 * What this producer writes, read back from the local Kinesis and de-aggregated by the real KCL 3.x
 * ({@code AggregatorUtil}, with each shard's hash-key range as a KCL worker uses it), gives back every user record
 * exactly once with the shard, sequence number and sub-sequence number its future reported.
 */
@ExtendWith(LocalEndpointsExtension.class)
@Timeout(120)
class KclDeaggregationCompatibilityIntegrationTest {

    private record Sent(String partitionKey, String explicitHashKey, byte[] data, RecordResult result) {
    }

    @Test
    void kclDeaggregatesEveryRecordThisProducerWrote(KinesisAsyncClient kinesis) {
        String stream = Streams.uniqueStreamName("kcl-compat");
        Streams.createStream(kinesis, stream, 3);
        try {
            List<Sent> sent = produce(kinesis, stream);
            Map<String, Sent> byPosition = new HashMap<>();
            for (Sent s : sent) {
                RecordResult r = s.result();
                byPosition.put(r.shardId() + "/" + r.sequenceNumber() + "/" + r.subSequenceNumber(), s);
            }
            assertEquals(sent.size(), byPosition.size(), "every future reports a distinct position");

            Map<String, Shard> shards = new HashMap<>();
            kinesis.listShards(b -> b.streamName(stream)).join().shards().forEach(s -> shards.put(s.shardId(), s));
            Map<String, List<KinesisClientRecord>> stored = new HashMap<>();
            for (Streams.ShardRecord r : Streams.readAll(kinesis, stream)) {
                stored.computeIfAbsent(r.shardId(), k -> new ArrayList<>()).add(KinesisClientRecord.fromRecord(r.record()));
            }
            int seen = 0;
            int aggregatedSeen = 0;
            for (Map.Entry<String, List<KinesisClientRecord>> e : stored.entrySet()) {
                Shard shard = shards.get(e.getKey());
                List<KinesisClientRecord> userRecords = new AggregatorUtil().deaggregate(e.getValue(),
                        shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey());
                for (KinesisClientRecord u : userRecords) {
                    Sent s = byPosition.remove(e.getKey() + "/" + u.sequenceNumber() + "/" + u.subSequenceNumber());
                    assertNotNull(s, () -> "KCL found a record no future reported: " + u);
                    assertEquals(s.partitionKey(), u.partitionKey());
                    assertArrayEquals(s.data(), bytes(u.data()));
                    assertEquals(s.result().aggregated(), u.aggregated());
                    if (u.aggregated()) {
                        assertEquals(s.explicitHashKey(), u.explicitHashKey());
                        aggregatedSeen++;
                    }
                    seen++;
                }
            }
            assertTrue(byPosition.isEmpty(), () -> byPosition.size() + " records KCL did not find");
            assertTrue(aggregatedSeen > sent.size() / 2, "most records travelled inside aggregates");
            System.out.printf("KCL de-aggregated %d user records (%d from aggregates) from %d Kinesis records%n",
                    seen, aggregatedSeen, stored.values().stream().mapToInt(List::size).sum());
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    /** Small and large records, shared and unicode keys, explicit hash keys, empty data. */
    private static List<Sent> produce(KinesisAsyncClient kinesis, String stream) {
        Random random = new Random(42);
        List<String> keys = List.of("k-1", "k-2", "\u00e9t\u00e9", "\u4e2d\u6587", "\uD83D\uDE00-emoji", "k-3");
        List<String> partitionKeys = new ArrayList<>();
        List<String> explicitHashKeys = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis)
                .producerName("kcl-compat").build())) {
            for (int i = 0; i < 3_000; i++) {
                String pk = i % 10 == 0 ? "unique-" + i : keys.get(random.nextInt(keys.size()));
                String ehk = i % 17 == 0 ? HashKeys.partitionKeyHash("ehk-" + i).toString() : null;
                int size = i % 500 == 0 ? 60_000 : i % 50 == 0 ? 0 : 1 + random.nextInt(300);
                byte[] data = new byte[size];
                random.nextBytes(data);
                partitionKeys.add(pk);
                explicitHashKeys.add(ehk);
                payloads.add(data);
                futures.add(ehk == null ? producer.add(stream, pk, data) : producer.add(stream, pk, ehk, data));
            }
            producer.flush();
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
            assertTrue(producer.close(Duration.ofSeconds(10)).isEmpty());
        }
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            sent.add(new Sent(partitionKeys.get(i), explicitHashKeys.get(i), payloads.get(i), futures.get(i).join()));
        }
        return sent;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
