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
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Per-key order across splits and merges, as a KCL-style consumer sees it: it reads a parent shard before its
 * children and keeps from each shard only the user records inside that shard's hash key range.
 */
@Timeout(90)
class ReshardOrderingTest {

    private static final String STREAM = "reshard-stream";
    private static final String P = "shardId-000000000000";
    private static final String P2 = "shardId-000000000001";
    private static final String C1 = "shardId-000000000010";
    private static final String C2 = "shardId-000000000011";
    private static final BigInteger HALF = HashKeys.MAX_HASH_KEY.shiftRight(1);

    private KinesisProducer producer;
    private final List<CompletableFuture<RecordResult>> futures = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> nextSeq = new LinkedHashMap<>();

    @AfterEach
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    /** The split happens while the parent's aggregate is in flight; it lands in C1 and the map reloads. */
    @ParameterizedTest(name = "strictOrdering={0}")
    @ValueSource(booleans = {false, true})
    void splitWhileAnAggregateOfTheParentIsInFlight(boolean strict) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        start(fake, Duration.ofSeconds(60), strict);
        List<String> low = keys(true, 10);   // C1's half
        List<String> high = keys(false, 10); // C2's half
        List<Held> held = holdNextCall(fake);
        add(interleave(low, high)); // first record in C1: the aggregate lands in C1
        producer.flush();
        Await.until("the held call 0 to be made", () -> held.get(0).request != null);
        fake.split(P, C1, C2);
        held.get(0).release(fake);
        // Newer records before the map is reloaded: the first one hashes into C2.
        add(interleave(high, low));
        producer.flush();
        StreamPipeline pipeline = producer.pipeline(STREAM);
        Await.until("the shard map to have 2 open shards", () -> pipeline.shardMap().size() == 2);
        // And right after it.
        add(interleave(high, low));
        producer.flush();
        awaitAll();
        assertConsumedInOrder(fake);
        assertTrue(anyResent(), "records outside C1 were resent");
    }

    /** The periodic refresh learns of the split while the parent's call is in flight. */
    @ParameterizedTest(name = "strictOrdering={0}")
    @ValueSource(booleans = {false, true})
    void periodicRefreshDuringTheParentsCall(boolean strict) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        start(fake, Duration.ofMillis(100), strict);
        List<String> low = keys(true, 10);
        List<String> high = keys(false, 10);
        List<Held> held = holdNextCall(fake);
        add(interleave(low, high));
        producer.flush();
        Await.until("the held call 0 to be made", () -> held.get(0).request != null);
        fake.split(P, C1, C2);
        StreamPipeline pipeline = producer.pipeline(STREAM);
        Await.until("the shard map to have 2 open shards", () -> pipeline.shardMap().size() == 2);
        add(interleave(high, low));
        producer.flush();
        int calls = fake.putRequests().size();
        SenderAwait.senderPasses(producer, 2); // the flush was taken in: anything sendable now has been sent
        assertEquals(calls, fake.putRequests().size(), "the children wait for their parent's call");
        held.get(0).release(fake);
        add(interleave(high, low));
        producer.flush();
        awaitAll();
        assertConsumedInOrder(fake);
        assertTrue(anyResent(), "records outside C1 were resent");
    }

    /** Two parents with calls in flight, one child: the child waits for both. */
    @ParameterizedTest(name = "strictOrdering={0}")
    @ValueSource(booleans = {false, true})
    void mergeWaitsForBothParents(boolean strict) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        start(fake, Duration.ofMillis(100), strict);
        List<String> low = keys(true, 10);   // P
        List<String> high = keys(false, 10); // P2
        List<Held> held = holdNextCall(fake);
        add(low);
        producer.flush();
        Await.until("the held call 0 to be made", () -> held.get(0).request != null);
        held.addAll(holdNextCall(fake));
        add(high);
        producer.flush();
        Await.until("the held call 1 to be made", () -> held.get(1).request != null);
        fake.merge(P, P2, C1);
        StreamPipeline pipeline = producer.pipeline(STREAM);
        Await.until("the shard map to have 1 open shards", () -> pipeline.shardMap().size() == 1);
        add(interleave(high, low));
        producer.flush();
        int calls = fake.putRequests().size();
        SenderAwait.senderPasses(producer, 2); // the flush was taken in: anything sendable now has been sent
        assertEquals(calls, fake.putRequests().size(), "the child waits for both parents");
        held.get(0).release(fake);
        SenderAwait.callsHandled(producer, 1); // the first parent's answer is handled: its shard is free
        SenderAwait.senderPasses(producer, 2);
        assertEquals(calls, fake.putRequests().size(), "the child still waits for the second parent");
        held.get(1).release(fake);
        add(interleave(low, high));
        producer.flush();
        awaitAll();
        assertConsumedInOrder(fake);
    }

    /** Aggregates queued (and open) for a shard that closes are re-routed ahead of newer records. */
    @ParameterizedTest(name = "strictOrdering={0}")
    @ValueSource(booleans = {false, true})
    void unsentAggregatesOfAClosedShardGoFirst(boolean strict) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        start(fake, Duration.ofMillis(100), strict);
        List<String> low = keys(true, 10);
        List<String> high = keys(false, 10);
        List<Held> held = holdNextCall(fake);
        add(List.of("blocker"));
        producer.flush();
        Await.until("the held call 0 to be made", () -> held.get(0).request != null);
        add(interleave(low, high)); // sealed and queued behind the call in flight
        producer.flush();
        SenderAwait.senderPasses(producer, 2); // the flush sealed and queued them
        add(interleave(high, low)); // still in the open aggregate
        fake.split(P, C1, C2);
        StreamPipeline pipeline = producer.pipeline(STREAM);
        Await.until("the shard map to have 2 open shards", () -> pipeline.shardMap().size() == 2);
        add(interleave(high, low));
        producer.flush();
        SenderAwait.senderPasses(producer, 2); // queued behind the parent's call before it ends
        held.get(0).release(fake);
        add(interleave(low, high));
        producer.flush();
        awaitAll();
        assertConsumedInOrder(fake);
    }

    /** The same with retryable errors for the parent's entries: they are resent with the new map, first. */
    @ParameterizedTest(name = "strictOrdering={0}")
    @ValueSource(booleans = {false, true})
    void retriesOfAClosedShardGoFirst(boolean strict) throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        start(fake, Duration.ofMillis(100), strict);
        List<String> low = keys(true, 10);
        List<String> high = keys(false, 10);
        List<Held> held = holdNextCall(fake);
        add(interleave(low, high));
        producer.flush();
        Await.until("the held call 0 to be made", () -> held.get(0).request != null);
        fake.split(P, C1, C2);
        StreamPipeline pipeline = producer.pipeline(STREAM);
        Await.until("the shard map to have 2 open shards", () -> pipeline.shardMap().size() == 2);
        add(interleave(high, low));
        producer.flush();
        SenderAwait.senderPasses(producer, 2); // queued behind the parent's call before it fails
        held.get(0).fail(fake, "ProvisionedThroughputExceededException");
        add(interleave(low, high));
        producer.flush();
        awaitAll();
        assertConsumedInOrder(fake);
    }

    // --- helpers ---

    private static final class Held {
        volatile PutRecordsRequest request;
        final CompletableFuture<PutRecordsResponse> answer = new CompletableFuture<>();

        void release(FakeKinesisClient fake) {
            answer.complete(fake.respond(request, i -> null));
        }

        void fail(FakeKinesisClient fake, String code) {
            answer.complete(fake.respond(request, i -> code));
        }
    }

    private static List<Held> holdNextCall(FakeKinesisClient fake) {
        Held h = new Held();
        fake.then(request -> {
            h.request = request;
            return h.answer;
        });
        List<Held> list = new ArrayList<>();
        list.add(h);
        return list;
    }

    private void start(FakeKinesisClient fake, Duration refresh, boolean strict) throws Exception {
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake).strictOrdering(strict)
                .recordMaxBufferedTime(Duration.ofHours(1)).shardMapRefreshInterval(refresh).build());
        producer.add(STREAM, "warm-up", new byte[1]);
        producer.flush();
        assertTrue(producer.flushSync(Await.DEADLINE));
        futures.clear();
    }

    /** Keys whose hash lies in the lower (or upper) half of the key space. */
    private static List<String> keys(boolean lower, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < n; i++) {
            String k = "key-" + i;
            if ((HashKeys.partitionKeyHash(k).compareTo(HALF) <= 0) == lower) {
                out.add(k);
            }
        }
        return out;
    }

    private static List<String> interleave(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) {
                out.add(a.get(i));
            }
            if (i < b.size()) {
                out.add(b.get(i));
            }
        }
        return out;
    }

    private void add(List<String> keys) {
        for (String k : keys) {
            int seq = nextSeq.merge(k, 1, Integer::sum) - 1;
            futures.add(producer.add(STREAM, k, (k + ":" + seq).getBytes(StandardCharsets.UTF_8)));
        }
    }

    private void awaitAll() throws Exception {
        Await.get(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
    }

    private boolean anyResent() throws Exception {
        for (CompletableFuture<RecordResult> f : futures) {
            if (f.get().attempts().size() > 1) {
                return true;
            }
        }
        return false;
    }

    /**
     * What a consumer sees: shards parent first (the fake lists children after their parents), each in sequence
     * order, keeping only the records inside the shard's range. Per key: exactly the sequence 0, 1, 2, ...
     */
    private void assertConsumedInOrder(FakeKinesisClient fake) {
        List<Shard> shards = List.copyOf(fake.shards());
        Map<String, List<Integer>> seen = new HashMap<>();
        for (Shard s : shards) {
            HashKeyRange range = HashKeyRange.of(s.hashKeyRange().startingHashKey(),
                    s.hashKeyRange().endingHashKey());
            for (FakeKinesisClient.Stored stored : fake.stored()) {
                if (!stored.shardId().equals(s.shardId())) {
                    continue;
                }
                for (DecodedRecord d : range.filter(AggregateDecoder.decode(stored.data(), stored.partitionKey(),
                        stored.explicitHashKey()))) {
                    String text = new String(d.data(), StandardCharsets.UTF_8);
                    if (!text.contains(":")) {
                        continue; // warm-up and blocker records
                    }
                    String key = text.substring(0, text.indexOf(':'));
                    seen.computeIfAbsent(key, k -> new ArrayList<>())
                            .add(Integer.parseInt(text.substring(text.indexOf(':') + 1)));
                }
            }
        }
        for (Map.Entry<String, Integer> e : nextSeq.entrySet()) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < e.getValue(); i++) {
                expected.add(i);
            }
            assertEquals(expected, seen.get(e.getKey()), "consumed sequence of " + e.getKey());
        }
    }
}
