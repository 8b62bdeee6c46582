package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.lease.LeaseAttributes;
import io.purekinesis.testkit.EmulatorFanOut;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

/**
 * Multi-stream mode on the local endpoints: two workers share one lease table over streams added and removed while
 * they run (through a {@link StreamTracker} the test changes); every record of a tracked stream is processed exactly
 * once (by stream, shard and sequence number), a removed stream's processors end with shutdownRequested and
 * checkpoint, and adding it back resumes from those checkpoints. A stream deleted and created again under its name
 * is read as a new stream: its former rows are never resumed.
 */
@ExtendWith(LocalEndpointsExtension.class)
class MultiStreamIntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();
    private final List<KinesisConsumer> workers = new CopyOnWriteArrayList<>();
    private KinesisAsyncClient kinesis;

    @AfterEach
    void tearDown() {
        workers.forEach(w -> w.close(Duration.ofSeconds(10)));
        if (kinesis != null) {
            streams.deleteAll(kinesis);
        }
    }

    /** Every delivery by stream/shard/sequence, the data by stream, and each processor's end. */
    static final class Recorder {
        final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>(); // stream/shard/seq -> count
        final Set<String> data = ConcurrentHashMap.newKeySet();
        final List<String> shutdownRequested = new CopyOnWriteArrayList<>(); // stream/shard after its checkpoint
        final List<String> initializedWithoutStream = new CopyOnWriteArrayList<>();

        RecordProcessorFactory factory() {
            return () -> new RecordProcessor() {
                private String stream;
                private String shard;

                @Override
                public void initialize(InitializationInput input) {
                    stream = input.streamName();
                    shard = input.shardId();
                    if (stream == null || shard.contains(":")) {
                        initializedWithoutStream.add(String.valueOf(input));
                    }
                }

                @Override
                public void processRecords(ProcessRecordsInput input) {
                    for (KinesisUserRecord r : input.records()) {
                        deliveries.computeIfAbsent(stream + "/" + shard + "/" + r.sequenceNumber(),
                                k -> new AtomicInteger()).incrementAndGet();
                        data.add(new String(r.dataBytes(), StandardCharsets.UTF_8));
                    }
                    input.checkpointer().checkpoint();
                }

                @Override
                public void leaseLost() {
                }

                @Override
                public void shardEnded(Checkpointer checkpointer) {
                    checkpointer.checkpoint();
                }

                @Override
                public void shutdownRequested(Checkpointer checkpointer) {
                    checkpointer.checkpoint();
                    shutdownRequested.add(stream + "/" + shard);
                }
            };
        }

        List<String> duplicates() {
            List<String> out = new ArrayList<>();
            deliveries.forEach((k, v) -> {
                if (v.get() != 1) {
                    out.add(k + " x" + v.get());
                }
            });
            return out;
        }
    }

    /** Puts {@code perShard} records into every shard of {@code stream}, data {@code stream#shard#tag#i}. */
    private Set<String> fill(String stream, String tag, int perShard) {
        Set<String> all = ConcurrentHashMap.newKeySet();
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (Shard shard : IntegrationSupport.shards(kinesis, stream)) {
            for (int i = 0; i < perShard; i++) {
                String d = stream + "#" + shard.shardId() + "#" + tag + "#" + i;
                all.add(d);
                entries.add(PutRecordsRequestEntry.builder().partitionKey("pk" + i)
                        .explicitHashKey(shard.hashKeyRange().startingHashKey())
                        .data(SdkBytes.fromUtf8String(d)).build());
            }
        }
        IntegrationSupport.putAll(kinesis, stream, entries);
        return all;
    }

    private KinesisConsumer worker(LocalEndpoints endpoints, DynamoDbAsyncClient dynamo, String app, String id,
            StreamTracker tracker, Recorder recorder) {
        return worker(endpoints, dynamo, app, id, tracker, recorder, RetrievalMode.POLLING);
    }

    /** In FAN_OUT mode through an {@link EmulatorFanOut} client, so subscriptions behave as on Kinesis. */
    private KinesisConsumer worker(LocalEndpoints endpoints, DynamoDbAsyncClient dynamo, String app, String id,
            StreamTracker tracker, Recorder recorder, RetrievalMode mode) {
        KinesisAsyncClient client = mode == RetrievalMode.FAN_OUT ? new EmulatorFanOut(kinesis).client() : kinesis;
        ConsumerConfig config = ConsumerConfig.builder().applicationName(app).streamTracker(tracker)
                .retrievalMode(mode)
                .streamDiscoveryInterval(Duration.ofMillis(200)).workerId(id)
                .initialPosition(InitialPosition.trimHorizon()).failoverTime(IntegrationSupport.FAILOVER)
                .shardSyncInterval(Duration.ofSeconds(1)).idleTimeBetweenReads(Duration.ofMillis(200))
                .kinesisClient(client).dynamoDbClient(dynamo).build();
        KinesisConsumer w = new KinesisConsumer(config, recorder.factory());
        workers.add(w);
        return w;
    }

    /** The lease rows of {@code app}'s table whose key starts with {@code prefix}. */
    private static List<Map<String, AttributeValue>> rows(DynamoDbAsyncClient dynamo, String app, String prefix) {
        return dynamo.scan(b -> b.tableName(app).consistentRead(true)).join().items().stream()
                .filter(i -> i.get(LeaseAttributes.LEASE_KEY).s().startsWith(prefix)).toList();
    }

    private static String keyPrefix(StreamDescriptionSummary s) {
        String account = s.streamARN().split(":")[4];
        return account + ":" + s.streamName() + ":" + s.streamCreationTimestamp().getEpochSecond() + ":";
    }

    @ParameterizedTest
    @EnumSource(RetrievalMode.class)
    void streamsAddedAndRemovedWhileRunningAreProcessedExactlyOnce(RetrievalMode mode, LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        this.kinesis = kinesis;
        String a = streams.create(kinesis, "ms-a", 2);
        String b = streams.create(kinesis, "ms-b", 1);
        String c = streams.create(kinesis, "ms-c", 1);
        StreamDescriptionSummary aSummary = kinesis.describeStreamSummary(r -> r.streamName(a)).join()
                .streamDescriptionSummary();
        StreamDescriptionSummary bSummary = kinesis.describeStreamSummary(r -> r.streamName(b)).join()
                .streamDescriptionSummary();
        String app = Streams.uniqueStreamName("app-ms");
        // a by ARN, b by name: both spellings are accepted
        AtomicReference<List<String>> tracked = new AtomicReference<>(List.of(aSummary.streamARN(), b));
        Recorder recorder = new Recorder();
        Set<String> expected = ConcurrentHashMap.newKeySet();
        expected.addAll(fill(a, "first", 20));
        expected.addAll(fill(b, "first", 20));

        KinesisConsumer w1 = worker(endpoints, dynamo, app, "w1", tracked::get, recorder, mode);
        KinesisConsumer w2 = worker(endpoints, dynamo, app, "w2", tracked::get, recorder, mode);
        w1.start();
        w2.start();
        await("the first records of a and b delivered", WAIT, () -> recorder.data.containsAll(expected));
        List<Map<String, AttributeValue>> aRows = rows(dynamo, app, keyPrefix(aSummary));
        assertEquals(2, aRows.size(), "a's leases have KCL multi-stream keys: " + aRows);
        aRows.forEach(r -> assertEquals(keyPrefix(aSummary), r.get("streamName").s() + ":", "KCL's streamName"));

        // a stream added while running
        expected.addAll(fill(c, "first", 20));
        tracked.set(List.of(aSummary.streamARN(), b, c));
        await("c's records delivered once it is tracked", WAIT, () -> recorder.data.containsAll(expected));

        // a stream removed while running: its processor checkpoints in shutdownRequested, the lease is released
        tracked.set(List.of(aSummary.streamARN(), c));
        String bShard = IntegrationSupport.shards(kinesis, b).get(0).shardId();
        await("b's processor shut down and its lease released", WAIT,
                () -> recorder.shutdownRequested.contains(b + "/" + bShard)
                        && rows(dynamo, app, keyPrefix(bSummary)).stream()
                                .noneMatch(r -> r.containsKey(LeaseAttributes.LEASE_OWNER)));
        Map<String, AttributeValue> bRow = rows(dynamo, app, keyPrefix(bSummary)).get(0);
        assertNotEquals("TRIM_HORIZON", bRow.get(LeaseAttributes.CHECKPOINT).s(), "b checkpointed: " + bRow);

        // written while b is not read, and to the others meanwhile
        expected.addAll(fill(b, "while-removed", 10));
        expected.addAll(fill(a, "second", 10));
        expected.addAll(fill(c, "second", 10));
        await("a's and c's second records delivered", WAIT, () -> expected.stream()
                .filter(d -> !d.startsWith(b + "#")).allMatch(recorder.data::contains));

        // b added back: it resumes from its checkpoint, nothing read twice
        tracked.set(List.of(aSummary.streamARN(), b, c));
        await("b's records written while it was removed delivered", WAIT,
                () -> recorder.data.containsAll(expected));

        assertEquals(expected, recorder.data, "every record of a tracked stream, nothing else");
        assertEquals(List.of(), recorder.duplicates(), "each stream/shard/sequence processed exactly once");
        assertEquals(List.of(), recorder.initializedWithoutStream, "processors are told stream and shard id");
    }

    @Test
    void aStreamCreatedAgainUnderItsNameIsNotResumedFromItsFormerRows(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        this.kinesis = kinesis;
        String s = streams.create(kinesis, "ms-re", 1);
        String app = Streams.uniqueStreamName("app-msre");
        Recorder first = new Recorder();
        Set<String> old = fill(s, "old", 5);
        KinesisConsumer w1 = worker(endpoints, dynamo, app, "w1", () -> List.of(s), first);
        w1.start();
        await("the old stream's records delivered", WAIT, () -> first.data.containsAll(old));
        StreamDescriptionSummary before = kinesis.describeStreamSummary(r -> r.streamName(s)).join()
                .streamDescriptionSummary();
        await("the old stream's lease checkpointed", WAIT, () -> rows(dynamo, app, keyPrefix(before)).stream()
                .noneMatch(r -> r.get(LeaseAttributes.CHECKPOINT).s().equals("TRIM_HORIZON")));
        assertTrue(w1.close(Duration.ofSeconds(20)));
        List<Map<String, AttributeValue>> formerRows = rows(dynamo, app, keyPrefix(before));

        StreamDescriptionSummary after = before;
        while (after.streamCreationTimestamp().getEpochSecond() == before.streamCreationTimestamp()
                .getEpochSecond()) { // the key tells streams apart by creation second: create until it differs
            Streams.deleteStream(kinesis, s);
            after = Streams.createStream(kinesis, s, 1);
        }
        Recorder second = new Recorder();
        Set<String> fresh = fill(s, "new", 5);
        KinesisConsumer w2 = worker(endpoints, dynamo, app, "w2", () -> List.of(s), second);
        w2.start();
        await("the new stream's records delivered from its start", WAIT, () -> second.data.containsAll(fresh));
        assertEquals(fresh, second.data, "only the new stream's records");
        assertEquals(List.of(), second.duplicates());
        assertEquals(formerRows.size(), rows(dynamo, app, keyPrefix(before)).size(), "former rows stay");
        assertFalse(rows(dynamo, app, keyPrefix(after)).isEmpty(), "the new stream has rows of its own");
    }

    @Test
    void anUnknownStreamOrAnArnOfAnotherAccountFailsTheStartNamingIt(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) {
        this.kinesis = kinesis;
        String s = streams.create(kinesis, "ms-ok", 1);
        String app = Streams.uniqueStreamName("app-msbad");
        KinesisConsumer missing = worker(endpoints, dynamo, app, "w1", () -> List.of(s, "ms-missing"),
                new Recorder());
        KinesisConsumerException e = org.junit.jupiter.api.Assertions.assertThrows(KinesisConsumerException.class,
                missing::start);
        assertTrue(e.getMessage().contains("stream ms-missing") && e.getMessage().contains("does not exist"),
                e.getMessage());

        String otherAccount = "arn:aws:kinesis:us-east-1:111122223333:stream/" + s;
        KinesisConsumer wrongArn = worker(endpoints, dynamo, app, "w2", () -> List.of(otherAccount),
                new Recorder());
        e = org.junit.jupiter.api.Assertions.assertThrows(KinesisConsumerException.class, wrongArn::start);
        assertTrue(e.getMessage().contains(otherAccount) && e.getMessage().contains("account 111122223333"),
                e.getMessage());
    }

    @Test
    void aSplitInOneOfTheStreamsGivesChildLeasesOfThatStreamAfterTheParentEnds(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        this.kinesis = kinesis;
        String split = streams.create(kinesis, "ms-split", 1);
        String other = streams.create(kinesis, "ms-other", 1);
        String app = Streams.uniqueStreamName("app-mssplit");
        Recorder recorder = new Recorder();
        Set<String> expected = ConcurrentHashMap.newKeySet();
        expected.addAll(fill(split, "before", 10));
        expected.addAll(fill(other, "before", 10));
        KinesisConsumer w1 = worker(endpoints, dynamo, app, "w1", () -> List.of(split, other), recorder);
        w1.start();
        await("records before the split delivered", WAIT, () -> recorder.data.containsAll(expected));

        Shard parent = IntegrationSupport.shards(kinesis, split).get(0);
        java.math.BigInteger middle = new java.math.BigInteger(parent.hashKeyRange().endingHashKey()).shiftRight(1);
        kinesis.splitShard(b -> b.streamName(split).shardToSplit(parent.shardId())
                .newStartingHashKey(middle.toString())).join();
        Streams.waitForActive(kinesis, split, WAIT);
        expected.addAll(fill(split, "after", 10)); // into the open children (explicit hash keys)
        expected.addAll(fill(other, "after", 10));
        await("the children's records delivered", WAIT, () -> recorder.data.containsAll(expected));

        StreamDescriptionSummary summary = kinesis.describeStreamSummary(r -> r.streamName(split)).join()
                .streamDescriptionSummary();
        List<String> keys = rows(dynamo, app, keyPrefix(summary)).stream()
                .map(r -> r.get(LeaseAttributes.LEASE_KEY).s()).toList();
        assertEquals(3, keys.size(), "parent and two children, all with the stream's prefix: " + keys);
        assertEquals(expected, recorder.data);
        assertEquals(List.of(), recorder.duplicates());
    }

    @Test
    void aSingleStreamGivenByArnIsReadAndAnArnOfAnotherAccountFailsTheStart(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        this.kinesis = kinesis;
        String s = streams.create(kinesis, "ss-arn", 1);
        String arn = kinesis.describeStreamSummary(r -> r.streamName(s)).join().streamDescriptionSummary()
                .streamARN();
        Set<String> expected = fill(s, "one", 5);
        Recorder recorder = new Recorder();
        KinesisConsumer byArn = new KinesisConsumer(IntegrationSupport.config(endpoints, kinesis, dynamo,
                Streams.uniqueStreamName("app-ssarn"), arn, "w1").build(), recorder.factory());
        workers.add(byArn);
        byArn.start();
        await("records of the stream given by ARN delivered", WAIT, () -> recorder.data.containsAll(expected));
        assertEquals(expected, recorder.data);

        String other = arn.replace(arn.split(":")[4], "111122223333");
        KinesisConsumer wrong = new KinesisConsumer(IntegrationSupport.config(endpoints, kinesis, dynamo,
                Streams.uniqueStreamName("app-ssarn2"), other, "w2").build(), new Recorder().factory());
        workers.add(wrong);
        KinesisConsumerException e = org.junit.jupiter.api.Assertions.assertThrows(KinesisConsumerException.class,
                wrong::start);
        assertTrue(e.getMessage().contains(other) && e.getMessage().contains(arn), e.getMessage());
    }

    @Test
    void aStreamCreatedAgainWhileRunningIsFollowedToItsNewCreation(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        this.kinesis = kinesis;
        String s = streams.create(kinesis, "ms-live", 1);
        String app = Streams.uniqueStreamName("app-mslive");
        Recorder recorder = new Recorder();
        Set<String> old = fill(s, "old", 5);
        KinesisConsumer w1 = new KinesisConsumer(ConsumerConfig.builder().applicationName(app)
                .streamTracker(() -> List.of(s)).streamDiscoveryInterval(Duration.ofMillis(200)).workerId("w1")
                .initialPosition(InitialPosition.trimHorizon()).failoverTime(IntegrationSupport.FAILOVER)
                .fullScanInterval(Duration.ofSeconds(1)).shardSyncInterval(Duration.ofSeconds(1))
                .idleTimeBetweenReads(Duration.ofMillis(200)).kinesisClient(kinesis).dynamoDbClient(dynamo).build(),
                recorder.factory());
        workers.add(w1);
        w1.start();
        await("the first creation's records delivered", WAIT, () -> recorder.data.containsAll(old));
        StreamDescriptionSummary before = kinesis.describeStreamSummary(r -> r.streamName(s)).join()
                .streamDescriptionSummary();
        StreamDescriptionSummary after = before;
        while (after.streamCreationTimestamp().getEpochSecond() == before.streamCreationTimestamp()
                .getEpochSecond()) {
            Streams.deleteStream(kinesis, s);
            after = Streams.createStream(kinesis, s, 1);
        }
        Set<String> fresh = fill(s, "new", 5);
        String newPrefix = keyPrefix(after);
        await("the new creation's records delivered under its own lease", WAIT,
                () -> recorder.data.containsAll(fresh) && !rows(dynamo, app, newPrefix).isEmpty());
    }

    /**
     * Shard sync runs at start only here (an hour apart afterwards), so neither the leader's ListShards nor the
     * tracker notices the deletion: each worker's own reads (ResourceNotFound, then one DescribeStreamSummary) must.
     * Polling only: the emulator's fan-out stand-in (EmulatorFanOut) keeps a deleted stream's subscriptions silent,
     * with no error for a worker to notice (Kinesis ends them, and SubscribeToShard then answers ResourceNotFound).
     */
    @Test
    void aStreamDeletedWhileTwoWorkersReadItIsLetGoByBoth(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        this.kinesis = kinesis;
        String kept = streams.create(kinesis, "ms-kept", 1);
        String deleted = streams.create(kinesis, "ms-deleted", 4);
        String app = Streams.uniqueStreamName("app-msdel");
        String prefix = keyPrefix(kinesis.describeStreamSummary(r -> r.streamName(deleted)).join()
                .streamDescriptionSummary());
        Recorder recorder = new Recorder();
        List<KinesisConsumer> two = new ArrayList<>();
        for (String id : List.of("w1", "w2")) {
            KinesisConsumer w = new KinesisConsumer(ConsumerConfig.builder().applicationName(app)
                    .streamTracker(() -> List.of(kept, deleted)).streamDiscoveryInterval(Duration.ofMillis(200))
                    .workerId(id).initialPosition(InitialPosition.trimHorizon())
                    .failoverTime(IntegrationSupport.FAILOVER).shardSyncInterval(Duration.ofHours(1))
                    .idleTimeBetweenReads(Duration.ofMillis(200)).kinesisClient(kinesis).dynamoDbClient(dynamo)
                    .build(), recorder.factory());
            workers.add(w);
            two.add(w);
            w.start();
        }
        Set<String> before = fill(deleted, "before", 3);
        await("both workers read the stream to be deleted", WAIT, () -> recorder.data.containsAll(before)
                && two.stream().allMatch(w -> w.heldLeases().stream().anyMatch(k -> k.startsWith(prefix))));

        Streams.deleteStream(kinesis, deleted);
        await("both workers let go of the deleted stream's leases", WAIT, () -> two.stream()
                .noneMatch(w -> w.heldLeases().stream().anyMatch(k -> k.startsWith(prefix))));
        Set<String> after = fill(kept, "after", 3);
        await("the other stream is still read", WAIT, () -> recorder.data.containsAll(after));
        assertEquals(List.of(), recorder.duplicates());
    }
}
