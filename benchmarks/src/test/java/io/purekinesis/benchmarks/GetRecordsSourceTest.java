package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.HashKeys;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/** The read-side source against a real SDK client (JSON, HTTP/1.1), in process. */
class GetRecordsSourceTest {

    @BeforeAll
    static void json() {
        // The source has no CBOR; the property is read when the first Kinesis client is built.
        System.setProperty("aws.cborEnabled", "false");
    }

    private static KinesisAsyncClient client(GetRecordsSource source) {
        return KinesisAsyncClient.builder()
                .endpointOverride(source.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                .httpClient(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1).build())
                .build();
    }

    @Test
    void plainRecordsComeBackInOrderThroughIterators() throws Exception {
        try (GetRecordsSource source = GetRecordsSource.start(0, 3, 25, false, 100, 1);
                KinesisAsyncClient client = client(source)) {
            List<Shard> shards = client.listShards(b -> b.streamName("s")).join().shards();
            assertEquals(3, shards.size());
            assertEquals("0", shards.get(0).hashKeyRange().startingHashKey());
            assertEquals(HashKeys.MAX_HASH_KEY.toString(), shards.get(2).hashKeyRange().endingHashKey());
            assertEquals(3, client.describeStreamSummary(b -> b.streamName("s")).join().streamDescriptionSummary()
                    .openShardCount());

            String shardId = shards.get(1).shardId();
            String iterator = client.getShardIterator(b -> b.streamName("s").shardId(shardId)
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).join().shardIterator();
            List<Record> all = new ArrayList<>();
            GetRecordsResponse last = null;
            for (int call = 0; call < 10 && all.size() < 25; call++) {
                String it = iterator;
                last = client.getRecords(b -> b.shardIterator(it).limit(10)).join();
                assertTrue(last.records().size() <= 10);
                all.addAll(last.records());
                iterator = last.nextShardIterator();
            }
            assertEquals(25, all.size());
            assertEquals(0L, last.millisBehindLatest());
            for (int i = 0; i < all.size(); i++) {
                Record r = all.get(i);
                assertEquals(GetRecordsSource.sequenceNumber(1, i), r.sequenceNumber());
                assertEquals(100, r.data().asByteArray().length);
                assertTrue(inShard(shards.get(1), HashKeys.partitionKeyHash(r.partitionKey())));
                if (i > 0) {
                    assertTrue(new BigInteger(r.sequenceNumber())
                            .compareTo(new BigInteger(all.get(i - 1).sequenceNumber())) > 0);
                }
            }
            String it = iterator;
            assertTrue(client.getRecords(b -> b.shardIterator(it)).join().records().isEmpty());

            String after = client.getShardIterator(b -> b.streamName("s").shardId(shardId)
                    .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                    .startingSequenceNumber(all.get(9).sequenceNumber())).join().shardIterator();
            assertEquals(all.get(10).sequenceNumber(),
                    client.getRecords(b -> b.shardIterator(after).limit(1)).join().records().get(0).sequenceNumber());
            String at = client.getShardIterator(b -> b.streamName("s").shardId(shardId)
                    .shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
                    .startingSequenceNumber(all.get(9).sequenceNumber())).join().shardIterator();
            assertEquals(all.get(9).sequenceNumber(),
                    client.getRecords(b -> b.shardIterator(at).limit(1)).join().records().get(0).sequenceNumber());
            String latest = client.getShardIterator(b -> b.streamName("s").shardId(shardId)
                    .shardIteratorType(ShardIteratorType.LATEST)).join().shardIterator();
            GetRecordsResponse atTip = client.getRecords(b -> b.shardIterator(latest)).join();
            assertTrue(atTip.records().isEmpty());
            assertNotNull(atTip.nextShardIterator());
        }
    }

    @Test
    void aggregatedDataDecodesToUserRecordsOfTheShard() throws Exception {
        try (GetRecordsSource source = GetRecordsSource.start(0, 2, 3, true, 100, 480);
                KinesisAsyncClient client = client(source)) {
            Shard shard = client.listShards(b -> b.streamName("s")).join().shards().get(1);
            String iterator = client.getShardIterator(b -> b.streamName("s").shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).join().shardIterator();
            List<Record> records = client.getRecords(b -> b.shardIterator(iterator)).join().records();
            assertEquals(3, records.size());
            for (Record r : records) {
                byte[] data = r.data().asByteArray();
                assertTrue(Math.abs(source.entryDataBytes() - data.length) < 64, data.length + " bytes");
                assertTrue(data.length > 45_000 && data.length < 60_000, "aggregate of " + data.length + " bytes");
                List<DecodedRecord> users = AggregateDecoder.decode(data, r.partitionKey(), null);
                assertEquals(480, users.size());
                for (DecodedRecord u : users) {
                    assertEquals(100, u.data().length);
                    assertTrue(inShard(shard, HashKeys.effectiveHashKey(u.partitionKey(), u.explicitHashKey())));
                }
            }
        }
    }

    @Test
    void aGrowingStreamServesNewEntriesInOrderAtTheTip() throws Exception {
        // empty at start, 200 entries per second per shard: a reader at the tip keeps getting new records
        try (GetRecordsSource source = GetRecordsSource.start(0, 1, 0, false, 10, 1, 200);
                KinesisAsyncClient client = client(source)) {
            String shardId = source.shardId(0);
            String iterator = client.getShardIterator(b -> b.streamName("s").shardId(shardId)
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).join().shardIterator();
            List<Record> all = new ArrayList<>();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (all.size() < 20 && System.nanoTime() < deadline) {
                String it = iterator;
                GetRecordsResponse response = client.getRecords(b -> b.shardIterator(it)).join();
                assertTrue(response.millisBehindLatest() >= 0);
                all.addAll(response.records());
                iterator = response.nextShardIterator();
            }
            assertTrue(all.size() >= 20, all.size() + " records");
            for (int i = 0; i < all.size(); i++) {
                assertEquals(GetRecordsSource.sequenceNumber(0, i), all.get(i).sequenceNumber());
            }
            long tip = source.tip();
            String latest = client.getShardIterator(b -> b.streamName("s").shardId(shardId)
                    .shardIteratorType(ShardIteratorType.LATEST)).join().shardIterator();
            // LATEST is at or after the tip seen just before, never behind what was already read
            assertTrue(Long.parseLong(latest.substring(latest.lastIndexOf('-') + 1)) >= Math.max(tip, all.size()));
        }
    }

    private static boolean inShard(Shard shard, BigInteger hash) {
        return hash.compareTo(new BigInteger(shard.hashKeyRange().startingHashKey())) >= 0
                && hash.compareTo(new BigInteger(shard.hashKeyRange().endingHashKey())) <= 0;
    }
}
