package io.purekinesis.consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.EmulatorFanOut;
import io.purekinesis.testkit.LocalEndpoints;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Shared helpers of the integration tests: filling streams, recording processors, waiting. */
final class IntegrationSupport {

    static final Duration FAILOVER = Duration.ofSeconds(3);

    private IntegrationSupport() {
    }

    static List<Shard> shards(KinesisAsyncClient kinesis, String stream) {
        return kinesis.listShards(b -> b.streamName(stream)).join().shards();
    }

    /** Puts {@code perShard} records into every shard (explicit hash keys); returns their data strings. */
    static Set<String> fill(KinesisAsyncClient kinesis, String stream, int perShard) {
        Set<String> all = ConcurrentHashMap.newKeySet();
        List<PutRecordsRequestEntry> pending = new ArrayList<>();
        for (Shard shard : shards(kinesis, stream)) {
            for (int i = 0; i < perShard; i++) {
                String data = shard.shardId() + "#" + i;
                all.add(data);
                pending.add(PutRecordsRequestEntry.builder().partitionKey("pk-" + i)
                        .explicitHashKey(shard.hashKeyRange().startingHashKey())
                        .data(SdkBytes.fromUtf8String(data)).build());
            }
        }
        // keep per-shard order: put in chunks in list order, retrying failed entries before going on
        for (int from = 0; from < pending.size(); from += 250) {
            List<PutRecordsRequestEntry> chunk = pending.subList(from, Math.min(pending.size(), from + 250));
            putAll(kinesis, stream, chunk);
        }
        return all;
    }

    /**
     * Streams a test class created, deleted after each test: the emulator allows 50 open shards at a time, and the
     * module's tests share one emulator.
     */
    static final class TestStreams {
        private final List<String> created = new CopyOnWriteArrayList<>();

        /** Creates a uniquely named stream and waits until it is ACTIVE; returns its name. */
        String create(KinesisAsyncClient kinesis, String prefix, int shards) {
            String name = io.purekinesis.testkit.Streams.uniqueStreamName(prefix);
            io.purekinesis.testkit.Streams.createStream(kinesis, name, shards);
            created.add(name);
            return name;
        }

        void deleteAll(KinesisAsyncClient kinesis) {
            for (String name : created) {
                io.purekinesis.testkit.Streams.deleteStream(kinesis, name);
            }
            created.clear();
        }
    }

    static void putAll(KinesisAsyncClient kinesis, String stream, List<PutRecordsRequestEntry> entries) {
        List<PutRecordsRequestEntry> left = entries;
        for (int attempt = 0; !left.isEmpty(); attempt++) {
            assertTrue(attempt < 20, "PutRecords kept failing");
            List<PutRecordsRequestEntry> batch = left;
            PutRecordsResponse r = kinesis.putRecords(b -> b.streamName(stream).records(batch)).join();
            List<PutRecordsRequestEntry> failed = new ArrayList<>();
            List<PutRecordsResultEntry> results = r.records();
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).errorCode() != null) {
                    failed.add(batch.get(i));
                }
            }
            left = failed;
        }
    }

    /**
     * One marker record per open shard (data {@code marker-<tag>#<shardId>}), put after everything the test wrote
     * before; by shard, the marker's data and sequence number. Kinesis keeps a shard's order, and the consumer
     * delivers it in order, so a marker delivered and checkpointed proves its shard was read past everything before
     * it: what was not delivered by then never will be, and nothing up to it is read again by any worker (every
     * worker resumes from the checkpoint). Tests wait for that positive event instead of sleeping before they
     * assert that nothing more arrived.
     */
    static Markers putMarkers(KinesisAsyncClient kinesis, String stream, String tag) {
        Map<String, String> data = new java.util.TreeMap<>();
        Map<String, String> sequence = new java.util.TreeMap<>();
        for (Shard shard : shards(kinesis, stream)) {
            if (shard.sequenceNumberRange().endingSequenceNumber() != null) {
                continue; // closed: explicit hash keys route to its open descendants
            }
            String d = "marker-" + tag + "#" + shard.shardId();
            String seq = kinesis.putRecord(b -> b.streamName(stream).partitionKey("marker")
                    .explicitHashKey(shard.hashKeyRange().startingHashKey()).data(SdkBytes.fromUtf8String(d)))
                    .join().sequenceNumber();
            data.put(shard.shardId(), d);
            sequence.put(shard.shardId(), seq);
        }
        return new Markers(data, sequence);
    }

    /** Marker records by shard: their data and sequence numbers. */
    record Markers(Map<String, String> dataByShard, Map<String, String> sequenceByShard) {
        Set<String> data() {
            return Set.copyOf(dataByShard.values());
        }

        /** Every marker delivered, and some worker's checkpoint of its shard at or past it. */
        boolean deliveredAndCheckpointed(Recorder recorder) {
            for (Map.Entry<String, String> m : sequenceByShard.entrySet()) {
                String shard = m.getKey();
                ExtendedSequenceNumber marker = ExtendedSequenceNumber.of(m.getValue(), 0);
                boolean checkpointed = recorder.lastCheckpoint.entrySet().stream()
                        .anyMatch(e -> e.getKey().endsWith("/" + shard)
                                && io.purekinesis.consumer.internal.Positions.compare(e.getValue(),
                                        marker) >= 0);
                if (!recorder.deliveries.containsKey(dataByShard.get(shard)) || !checkpointed) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Puts a marker into every open shard and waits until each is delivered and checkpointed; returns them. */
    static Markers putMarkersAndAwait(KinesisAsyncClient kinesis, String stream, String tag, Recorder recorder,
            Duration timeout) throws InterruptedException {
        Markers markers = putMarkers(kinesis, stream, tag);
        await("marker records " + markers.data() + " delivered and checkpointed", timeout,
                () -> markers.deliveredAndCheckpointed(recorder));
        return markers;
    }

    /**
     * Waits until {@code condition} holds. Real endpoints: what the condition looks at (lease rows, delivered
     * records) changes in the local Kinesis and DynamoDB or on the workers' threads, which signal no test, so it is
     * polled every 50 ms of real time.
     */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " not reached within " + timeout);
            Thread.sleep(50);
        }
    }

    static ConsumerConfig.Builder config(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient dynamo, String app, String stream,
            String worker) {
        return ConsumerConfig.builder().applicationName(app).streamName(stream).workerId(worker)
                .initialPosition(InitialPosition.trimHorizon()).failoverTime(FAILOVER)
                .idleTimeBetweenReads(Duration.ofMillis(300)).kinesisClient(kinesis).dynamoDbClient(dynamo);
    }

    /**
     * {@link #config} reading in {@code mode}; in FAN_OUT mode through an {@link EmulatorFanOut} client of its own,
     * so a closed shard's subscription ends as on Kinesis.
     */
    static ConsumerConfig.Builder config(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient dynamo, String app, String stream,
            String worker, RetrievalMode mode) {
        KinesisAsyncClient client = mode == RetrievalMode.FAN_OUT ? new EmulatorFanOut(kinesis).client() : kinesis;
        return config(endpoints, client, dynamo, app, stream, worker).retrievalMode(mode);
    }

    /**
     * Records every delivery of every processor of every worker, keyed by the record's data, and the last
     * checkpoint each worker confirmed per shard. Its processors checkpoint after each batch, in
     * shutdownRequested and in shardEnded.
     */
    static final class Recorder {
        final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        final Map<String, List<String>> deliveredBy = new ConcurrentHashMap<>();
        final Map<String, ExtendedSequenceNumber> lastCheckpoint = new ConcurrentHashMap<>();
        final Map<String, String> positions = new ConcurrentHashMap<>();
        final List<String> sameInstanceDuplicates = new CopyOnWriteArrayList<>();
        /** Every delivery's data, in the order processors received them (across shards and workers). */
        final List<String> order = new CopyOnWriteArrayList<>();
        final AtomicLong firstDeliveryNanos = new AtomicLong();
        volatile long processingDelayMillis;

        RecordProcessorFactory factory(String worker) {
            return () -> new Processor(worker);
        }

        int distinct() {
            return deliveries.size();
        }

        long totalDeliveries() {
            return deliveries.values().stream().mapToLong(AtomicInteger::get).sum();
        }

        List<String> duplicates() {
            List<String> out = new ArrayList<>();
            deliveries.forEach((k, v) -> {
                if (v.get() > 1) {
                    out.add(k);
                }
            });
            return out;
        }

        final class Processor implements RecordProcessor {
            private final String worker;
            private final Set<String> seen = ConcurrentHashMap.newKeySet();
            private String shardId;

            Processor(String worker) {
                this.worker = worker;
            }

            @Override
            public void initialize(InitializationInput input) {
                shardId = input.shardId();
            }

            @Override
            public void processRecords(ProcessRecordsInput input) {
                firstDeliveryNanos.compareAndSet(0, System.nanoTime());
                for (KinesisUserRecord r : input.records()) {
                    String data = new String(r.dataBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    if (!seen.add(data)) {
                        sameInstanceDuplicates.add(data);
                    }
                    order.add(data);
                    deliveries.computeIfAbsent(data, k -> new AtomicInteger()).incrementAndGet();
                    deliveredBy.computeIfAbsent(data, k -> new CopyOnWriteArrayList<>()).add(worker);
                    positions.put(data, shardId + "@" + r.sequenceNumber());
                }
                if (processingDelayMillis > 0) {
                    try {
                        // a slow processor, on purpose: real workers against real endpoints must cope with one
                        Thread.sleep(processingDelayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                checkpoint(input.checkpointer());
            }

            private void checkpoint(Checkpointer checkpointer) {
                try {
                    checkpointer.checkpoint();
                    lastCheckpoint.put(worker + "/" + shardId, checkpointer.lastCheckpoint());
                } catch (LeaseLostException e) {
                    // another worker has the shard now
                }
            }

            @Override
            public void leaseLost() {
            }

            @Override
            public void shardEnded(Checkpointer checkpointer) {
                checkpoint(checkpointer);
            }

            @Override
            public void shutdownRequested(Checkpointer checkpointer) {
                checkpoint(checkpointer);
            }
        }
    }

    /**
     * Records what a worker reports: non-transient failures ("operation on resource: ExceptionType"), lost leases,
     * unusable lease rows ("key | problem") and heartbeats (each answered heartbeat reports {@code leasesHeld}).
     */
    static class Reports implements ConsumerMetrics {
        final List<String> failures = new CopyOnWriteArrayList<>();
        final List<String> lost = new CopyOnWriteArrayList<>();
        final List<String> unusable = new CopyOnWriteArrayList<>();
        final AtomicInteger scans = new AtomicInteger();

        @Override
        public void nonTransientFailure(String operation, String resource, Throwable cause) {
            failures.add(operation + " on " + resource + ": " + cause.getClass().getSimpleName());
        }

        @Override
        public void leaseLost(String shardId) {
            lost.add(shardId);
        }

        @Override
        public void unusableLeaseRow(String leaseKey, String problem) {
            unusable.add(leaseKey + " | " + problem);
        }

        @Override
        public void leasesHeld(int leases) {
            scans.incrementAndGet();
        }

        long count(String prefix) {
            return failures.stream().filter(f -> f.startsWith(prefix)).count();
        }
    }

    static <T> T timed(String what, Supplier<T> call) {
        long start = System.nanoTime();
        T result = call.get();
        System.out.printf("%s took %d ms%n", what, (System.nanoTime() - start) / 1_000_000);
        return result;
    }

    /**
     * Checkpoints at the record with index {@code index} (data {@code ...#index}) once per key ({@code keyOf}: the
     * shard, or in multi-stream mode the stream), and nowhere else; records the checkpointed data by key.
     */
    static final class CheckpointingAt implements RecordProcessor {
        private final Map<String, String> checkpointedData;
        private final int index;
        private final Function<InitializationInput, String> keyOf;
        private String key;

        CheckpointingAt(Map<String, String> checkpointedData, int index, Function<InitializationInput, String> keyOf) {
            this.checkpointedData = checkpointedData;
            this.index = index;
            this.keyOf = keyOf;
        }

        @Override
        public void initialize(InitializationInput input) {
            key = keyOf.apply(input);
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            for (KinesisUserRecord r : input.records()) {
                String data = new String(r.dataBytes(), StandardCharsets.UTF_8);
                if (data.endsWith("#" + index) && !checkpointedData.containsKey(key)) {
                    input.checkpointer().checkpoint(r);
                    checkpointedData.put(key, data);
                }
            }
        }

        @Override
        public void leaseLost() {
        }

        @Override
        public void shardEnded(Checkpointer checkpointer) {
        }

        @Override
        public void shutdownRequested(Checkpointer checkpointer) {
        }
    }
}
