package io.purekinesis.producer.internal.pipeline;

import static io.purekinesis.producer.internal.Outcomes.failure;
import static io.purekinesis.producer.internal.Outcomes.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.retry.Backoff;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.RecordExpiredException;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.Outcomes;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.PutBatch;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import io.purekinesis.producer.internal.retry.ResultHandler;
import io.purekinesis.producer.internal.shardmap.ShardMapLoader;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;

/**
 * One stream's pipeline, driven as the sender drives it ({@link StreamPipeline#readyCalls} then
 * {@link StreamRegistry#maintain}, once per pass) on a manual clock. The fake client answers loads at once and
 * completions run on the calling thread, so every step is deterministic: no sender thread, no sleeps.
 */
@Timeout(30)
class StreamPipelineTest {

    private static final String STREAM = "s";
    private static final long BUFFERED_MILLIS = 100;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final MemoryBudget budget = new MemoryBudget(1 << 30, 100_000);
    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    private final Completer completer = new Completer(Runnable::run, budget, deadLetters::add,
            ProducerMetrics.NOOP, "test-overflow");
    private final AtomicInteger wakeups = new AtomicInteger();
    private FakeKinesisClient fake = FakeKinesisClient.withShards(1);
    private StreamRegistry registry;

    private StreamRegistry registry(ProducerConfig.Builder config) {
        ProducerConfig c = config.kinesisClient(fake).clock(clock).build();
        registry = new StreamRegistry(new StreamPipeline.Shared(c, new ShardMapLoader(fake), completer,
                ProducerMetrics.NOOP, wakeups::incrementAndGet, false), "us-east-1");
        return registry;
    }

    private static ProducerConfig.Builder config() {
        return ProducerConfig.builder().recordMaxBufferedTime(Duration.ofMillis(BUFFERED_MILLIS))
                .recordTtl(Duration.ofSeconds(30));
    }

    private UserRecord add(String stream, String key) {
        UserRecord r = Outcomes.record(key, budget, clock.millis() + 30_000);
        registry.append(registry.spelling(stream), r, clock.millis());
        return r;
    }

    /** One sender pass over the stream: its ready calls, then the registry's upkeep (starting queued loads). */
    private StreamCollector.Drained pass(StreamPipeline pipeline, boolean flush) {
        StreamCollector.Drained ready = pipeline.readyCalls(clock.millis(), 10, flush);
        registry.maintain(clock.millis());
        return ready;
    }

    private static PutRecordsRequest request(PutBatch batch) {
        return PutRecordsRequest.builder().streamName(batch.stream())
                .records(batch.entries().stream().map(KinesisEntry::sdkEntry).toList()).build();
    }

    @Test
    void recordsWaitForTheFirstShardMapThenGoInAddOrderOnceTheirBufferedTimePassed() throws Exception {
        registry(config());
        List<UserRecord> records = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            records.add(add(STREAM, "k" + i));
        }
        StreamPipeline pipeline = registry.pipeline(STREAM);
        assertTrue(wakeups.get() > 0, "a record waiting for a map wakes the sender");

        assertTrue(pass(pipeline, false).batches.isEmpty(), "the first load is queued, then started");
        StreamCollector.Drained ready = pass(pipeline, false);
        assertNotNull(pipeline.shardMap(), "the finished load was applied");
        assertTrue(ready.batches.isEmpty(), "an aggregate waits for its buffered time");
        assertEquals(clock.millis() + BUFFERED_MILLIS, ready.nextWakeMillis);

        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        ready = pass(pipeline, false);
        assertEquals(1, ready.batches.size());
        KinesisEntry entry = ready.batches.get(0).entries().get(0);
        assertTrue(entry.aggregated());
        assertEquals(records, entry.records(), "routed in add order");
    }

    @Test
    void whenOneShardsAggregateIsDueTheOtherShardsOpenAggregatesGoInTheSameCall() {
        fake = FakeKinesisClient.withShards(4);
        registry(config());
        // The first shard's aggregate opens now (its record waits for the map), the others 60 ms later: each has
        // its own deadline.
        List<UserRecord> added = new ArrayList<>();
        added.add(add(STREAM, "k0"));
        long firstDeadline = clock.millis() + BUFFERED_MILLIS;
        StreamPipeline pipeline = registry.pipeline(STREAM);
        pass(pipeline, false);
        pass(pipeline, false);
        assertNotNull(pipeline.shardMap());
        clock.advance(Duration.ofMillis(60));
        for (int i = 1; i < 40; i++) {
            added.add(add(STREAM, "k" + i));
        }
        Set<String> shards = new HashSet<>();
        for (UserRecord r : added) {
            shards.add(pipeline.shardMap().shardFor(r.hashHi(), r.hashLo()));
        }
        assertTrue(shards.size() >= 3, "the keys spread over several shards: " + shards);
        assertEquals(firstDeadline, pass(pipeline, false).nextWakeMillis, "nothing due before the first deadline");

        clock.advance(Duration.ofMillis(40));
        StreamCollector.Drained ready = pass(pipeline, false);
        assertEquals(1, ready.batches.size(), "one call");
        Set<String> carried = new HashSet<>();
        int records = 0;
        for (KinesisEntry e : ready.batches.get(0).entries()) {
            carried.add(e.shardId());
            records += e.records().size();
        }
        assertEquals(shards, carried, "the call carries every shard's aggregate, not only the due one");
        assertEquals(40, records);
    }

    @Test
    void aFlushWaitsUntilTheRecordsWaitingForTheMapAreRouted() {
        registry(config());
        add(STREAM, "k");
        StreamPipeline pipeline = registry.pipeline(STREAM);
        assertTrue(pass(pipeline, true).batches.isEmpty(), "no map yet: the flush stays pending");
        assertEquals(1, pass(pipeline, false).batches.size(), "applied with the map, before the buffered time");
    }

    @Test
    void waitingRecordsPastTheirTtlFailNamingTheLastLoadError() throws Exception {
        registry(config());
        fake.loadFailure(name -> FakeKinesisClient.serviceError("InternalFailure", 500));
        UserRecord r = add(STREAM, "k");
        StreamPipeline pipeline = registry.pipeline(STREAM);
        pass(pipeline, false);
        pass(pipeline, false); // the failed load is applied: retried after a backoff
        assertFalse(r.isDone());

        clock.advance(Duration.ofSeconds(31));
        pass(pipeline, false);
        Throwable e = failure(r);
        RecordExpiredException expired = assertInstanceOf(RecordExpiredException.class, e);
        assertEquals(FailureReason.TTL_EXPIRED, expired.reason());
        assertTrue(expired.getMessage().contains("could not be loaded before the record's TTL; last ListShards "
                + "error: InternalFailure"), expired.getMessage());
        assertEquals(1, deadLetters.size());
    }

    @Test
    void aMissingStreamFailsItsWaitingRecordsAndIsRememberedForLaterOnes() throws Exception {
        registry(config());
        fake.onlyStreams("other");
        UserRecord first = add(STREAM, "k1");
        StreamPipeline pipeline = registry.pipeline(STREAM);
        pass(pipeline, false);
        pass(pipeline, false);
        Throwable e = failure(first);
        assertEquals(FailureReason.STREAM_NOT_FOUND,
                assertInstanceOf(RecordFailedException.class, e).reason());

        int loads = fake.listShardsRequests().size();
        UserRecord later = add(STREAM, "k2");
        e = failure(later);
        assertEquals(FailureReason.STREAM_NOT_FOUND,
                assertInstanceOf(RecordFailedException.class, e).reason());
        assertEquals(loads, fake.listShardsRequests().size(), "failed at once, without another call");
        assertEquals(1, registry.failedStreams());
    }

    @Test
    void anArnOfAnotherAccountFailsItsRecordsWhileRecordsByNameGoOn() throws Exception {
        registry(config());
        String foreign = "arn:aws:kinesis:us-east-1:999999999999:stream/" + STREAM;
        UserRecord byArn = add(foreign, "k1");
        UserRecord byName = add(STREAM, "k2");
        StreamPipeline pipeline = registry.pipeline(STREAM);
        pass(pipeline, false);
        pass(pipeline, false);
        assertEquals(1, fake.describeRequests().size(), "the stream's ARN is learned once");
        Throwable e = failure(byArn);
        assertTrue(e.getMessage().contains("is not the stream 's'"), e.getMessage());
        assertFalse(byName.isDone());

        assertThrows(IllegalArgumentException.class, () -> add(foreign, "k3"), "refused at add once known");
        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        assertEquals(List.of(byName), pass(pipeline, false).batches.get(0).entries().get(0).records());
    }

    /**
     * The answer says an aggregate was stored on a child of the shard it was predicted for (the stream was
     * resharded meanwhile): the feedback goes from the result handler through the batch to the pipeline, which
     * holds the old shard, reloads the map, completes the records inside the child's range and sends the others
     * again, plain, to the front of their own child shard.
     */
    @Test
    void anAggregateStoredOnAnotherShardIsResolvedWithTheNewMap() throws Exception {
        registry(config());
        ResultHandler results = new ResultHandler(clock, Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(1),
                new SplittableRandom(1)), 0, completer, ProducerMetrics.NOOP);
        List<UserRecord> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            records.add(add(STREAM, "key-" + i));
        }
        StreamPipeline pipeline = registry.pipeline(STREAM);
        pass(pipeline, false);
        pass(pipeline, false);
        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        PutBatch batch = pass(pipeline, false).batches.get(0);

        fake.split("shardId-000000000000", "shardId-000000000001", "shardId-000000000002");
        results.onComplete(batch, clock.millis(), fake.respond(request(batch), i -> null), null);
        assertTrue(records.stream().noneMatch(UserRecord::isDone), "nothing decided before the map knows the shard");

        clock.advance(Duration.ofSeconds(1)); // the least gap between reloads asked for by answers
        pass(pipeline, false); // the reload starts (and the fake answers at once)
        StreamCollector.Drained again = pass(pipeline, false); // applied: resolved and re-sent
        assertEquals(2, pipeline.shardMap().size());
        String actual = fake.stored().get(0).shardId();
        List<UserRecord> resent = new ArrayList<>();
        for (PutBatch b : again.batches) {
            for (KinesisEntry e : b.entries()) {
                assertFalse(e.aggregated(), "re-sent records go plain");
                resent.addAll(e.records());
            }
        }
        for (UserRecord r : records) {
            String shard = pipeline.shardMap().shardFor(r.hashKey());
            if (shard.equals(actual)) {
                assertEquals(actual, result(r).shardId(), "stored where Kinesis put the aggregate");
            } else {
                assertTrue(resent.contains(r), "outside the actual shard's range: sent again");
            }
        }
        assertFalse(resent.isEmpty(), "the keys fall on both children");

        for (PutBatch b : again.batches) {
            results.onComplete(b, clock.millis(), fake.respond(request(b), i -> null), null);
        }
        for (UserRecord r : resent) {
            RecordResult result = result(r);
            assertEquals(pipeline.shardMap().shardFor(r.hashKey()), result.shardId());
            assertEquals("WrongShard", result.attempts().get(0).errorCode(), "the first attempt says why");
        }
        assertTrue(deadLetters.isEmpty());
    }
}
