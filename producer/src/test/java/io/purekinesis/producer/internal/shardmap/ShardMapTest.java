package io.purekinesis.producer.internal.shardmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.testkit.FakeKinesisClient;
import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;

class ShardMapTest {

    private static final BigInteger ONE = BigInteger.ONE;

    @Test
    void lookupAtRangeBoundaries() {
        BigInteger q = HashKeys.MAX_HASH_KEY.shiftRight(2);
        ShardMap map = ShardMap.of(List.of(
                FakeKinesisClient.shard("c", q.shiftLeft(1).add(ONE), HashKeys.MAX_HASH_KEY, false),
                FakeKinesisClient.shard("a", BigInteger.ZERO, q, false),
                FakeKinesisClient.shard("b", q.add(ONE), q.shiftLeft(1), false)), 1);
        assertEquals(List.of("a", "b", "c"), map.shardIds(), "sorted by starting hash key");
        assertEquals("a", map.shardFor(BigInteger.ZERO));
        assertEquals("a", map.shardFor(q));
        assertEquals("b", map.shardFor(q.add(ONE)));
        assertEquals("b", map.shardFor(q.shiftLeft(1)));
        assertEquals("c", map.shardFor(q.shiftLeft(1).add(ONE)));
        assertEquals("c", map.shardFor(HashKeys.MAX_HASH_KEY));
        assertEquals(q.add(ONE), map.rangeOf("b").startingHashKey());
        assertNull(map.rangeOf("zzz"));
    }

    @Test
    void closedShardsAreExcluded() {
        BigInteger half = HashKeys.MAX_HASH_KEY.shiftRight(1);
        ShardMap map = ShardMap.of(List.of(
                FakeKinesisClient.shard("parent", BigInteger.ZERO, HashKeys.MAX_HASH_KEY, true),
                FakeKinesisClient.shard("child-1", BigInteger.ZERO, half, false),
                FakeKinesisClient.shard("child-2", half.add(ONE), HashKeys.MAX_HASH_KEY, false)), 2);
        assertEquals(List.of("child-1", "child-2"), map.shardIds());
        assertEquals("child-1", map.shardFor(half));
        assertEquals("child-2", map.shardFor(half.add(ONE)));
        assertEquals(2, map.version());
    }

    @Test
    void aGapOrAnEmptyMapPredictsNothing() {
        ShardMap empty = ShardMap.of(List.of(), 1);
        assertNull(empty.shardFor(BigInteger.TEN));
        ShardMap gap = ShardMap.of(List.of(FakeKinesisClient.shard("a", BigInteger.TEN, BigInteger.valueOf(20),
                false)), 1);
        assertNull(gap.shardFor(BigInteger.ONE));
        assertNull(gap.shardFor(BigInteger.valueOf(21)));
        assertEquals("a", gap.shardFor(BigInteger.valueOf(15)));
    }

    @Test
    void loaderFollowsPagesAndUsesOnlyTheTokenAfterTheFirst() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(7);
        fake.split("shardId-000000000003", "child-a", "child-b");
        fake.listShardsPageSize(3);
        ShardMap map = new ShardMapLoader(fake).load("s", 5).get(30, TimeUnit.SECONDS);
        assertEquals(8, map.size(), "7 shards, one closed, two children");
        List<ListShardsRequest> requests = fake.listShardsRequests();
        assertEquals(3, requests.size());
        assertEquals("s", requests.get(0).streamName());
        assertNull(requests.get(1).streamName());
        assertEquals("3", requests.get(1).nextToken());
        for (int i = 0; i < 1000; i++) {
            BigInteger h = HashKeys.partitionKeyHash("k" + i);
            String id = map.shardFor(h);
            assertEquals(true, map.rangeOf(id).contains(h));
        }
    }

    @Test
    void loaderUsesTheArnForArnStreams() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        String arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
        new ShardMapLoader(fake).load(arn, 1).get(30, TimeUnit.SECONDS);
        assertEquals(arn, fake.listShardsRequests().get(0).streamARN());
    }
}
