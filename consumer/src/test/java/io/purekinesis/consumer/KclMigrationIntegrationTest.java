package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.KinesisClientLibException;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * Migration both ways with the real KCL 3.5.1 on one lease table (same application name): KCL processes part of a
 * stream and checkpoints, then this consumer takes over and processes exactly the records after KCL's checkpoints;
 * and the other way round, where KCL also keeps the stream identity this consumer wrote on the rows. KCL 3.x takes
 * 85-100 s to start on the local endpoints, so these are the slowest tests of the module.
 */
@ExtendWith(LocalEndpointsExtension.class)
class KclMigrationIntegrationTest {

    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    private static final int SHARDS = 2;
    private static final int PER_SHARD = 40;
    private static final int KCL_CHECKPOINT_INDEX = 14;

    /** A KCL processor that checkpoints at the record with index KCL_CHECKPOINT_INDEX of each shard, then stops. */
    static final class KclProcessor implements ShardRecordProcessor {
        final Map<String, String> checkpointedData;
        final Set<String> delivered;
        final boolean checkpointEverything;
        String shardId;

        KclProcessor(Map<String, String> checkpointedData) {
            this(checkpointedData, ConcurrentHashMap.newKeySet(), false);
        }

        /** @param checkpointEverything checkpoint after every batch instead of at KCL_CHECKPOINT_INDEX */
        KclProcessor(Map<String, String> checkpointedData, Set<String> delivered, boolean checkpointEverything) {
            this.checkpointedData = checkpointedData;
            this.delivered = delivered;
            this.checkpointEverything = checkpointEverything;
        }

        @Override
        public void initialize(software.amazon.kinesis.lifecycle.events.InitializationInput input) {
            shardId = input.shardId();
        }

        @Override
        public void processRecords(software.amazon.kinesis.lifecycle.events.ProcessRecordsInput input) {
            for (KinesisClientRecord r : input.records()) {
                String data = StandardCharsets.UTF_8.decode(r.data()).toString();
                delivered.add(data);
                if (checkpointEverything) {
                    try {
                        input.checkpointer().checkpoint(r.sequenceNumber(), r.subSequenceNumber());
                    } catch (KinesisClientLibException e) {
                        throw new IllegalStateException(e);
                    }
                } else if (data.endsWith("#" + KCL_CHECKPOINT_INDEX) && !checkpointedData.containsKey(shardId)) {
                    try {
                        input.checkpointer().checkpoint(r.sequenceNumber(), r.subSequenceNumber());
                        checkpointedData.put(shardId, data);
                    } catch (KinesisClientLibException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
        }
    }

    /** Runs a KCL 3.5.1 worker on {@code app} until {@code done}, then shuts it down gracefully. */
    private static void runKcl(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, String stream, String app,
            ShardRecordProcessorFactoryLike processors, String what, java.util.function.BooleanSupplier done)
            throws Exception {
        try (CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(URI.create("http://localhost:1")).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .build()) {
            ConfigsBuilder kcl = new ConfigsBuilder(new SingleStreamTracker(stream,
                    InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)), app,
                    kinesis, dynamo, cloudWatch, "kcl-worker", processors::create);
            Scheduler scheduler = new Scheduler(kcl.checkpointConfig(), kcl.coordinatorConfig(),
                    kcl.leaseManagementConfig().failoverTimeMillis(3_000), kcl.lifecycleConfig(),
                    kcl.metricsConfig().metricsFactory(new NullMetricsFactory()), kcl.processorConfig(),
                    kcl.retrievalConfig().retrievalSpecificConfig(new PollingConfig(stream, kinesis)
                            .idleTimeBetweenReadsInMillis(500)));
            Thread kclThread = new Thread(scheduler, "kcl-scheduler");
            kclThread.setDaemon(true);
            long start = System.nanoTime();
            kclThread.start();
            try {
                await(what, Duration.ofSeconds(240), done);
                System.out.printf("KCL 3.5.1: %s after %d s%n", what, (System.nanoTime() - start) / 1_000_000_000);
            } finally {
                try {
                    scheduler.startGracefulShutdown().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    scheduler.shutdown();
                }
                kclThread.join(30_000);
            }
        }
    }

    /** KCL's processor factory, without its type in the helper's signature. */
    interface ShardRecordProcessorFactoryLike {
        ShardRecordProcessor create();
    }

    private static Set<String> afterIndex(Set<String> all, int index) {
        Set<String> expected = new HashSet<>();
        for (String data : all) {
            if (Integer.parseInt(data.substring(data.indexOf('#') + 1)) > index) {
                expected.add(data);
            }
        }
        return expected;
    }

    private static List<Map<String, AttributeValue>> leaseRows(DynamoDbAsyncClient dynamo, String app) {
        return dynamo.scan(b -> b.tableName(app).consistentRead(true)).join().items().stream()
                .filter(row -> row.get("leaseKey").s().startsWith("shardId-")).toList();
    }

    /**
     * A copy of KCL's lease table (every row, KCL 3.x's other entities too) under another name: a second application
     * with exactly KCL's checkpoints, without starting KCL (85-100 s) again.
     */
    private static String copyTable(DynamoDbAsyncClient dynamo, String app, String copy) {
        dynamo.createTable(b -> b.tableName(copy).billingMode(BillingMode.PAY_PER_REQUEST)
                .keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S))).join();
        for (Map<String, AttributeValue> row : dynamo.scan(b -> b.tableName(app).consistentRead(true)).join()
                .items()) {
            dynamo.putItem(b -> b.tableName(copy).item(row)).join();
        }
        return copy;
    }

    /**
     * Our consumer takes over from KCL's checkpoints in both modes at once: polling on KCL's table, fan-out on a copy
     * of it (one KCL run for both); each reads exactly the records after KCL's checkpoints.
     */
    @Test
    void takesOverFromKclExactlyAfterItsCheckpoints(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "kcl", SHARDS);
        Set<String> all = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-kcl");

        Map<String, String> kclCheckpoints = new ConcurrentHashMap<>();
        runKcl(kinesis, dynamo, stream, app, () -> new KclProcessor(kclCheckpoints), "checkpointed every shard",
                () -> kclCheckpoints.size() == SHARDS);

        dynamo.scan(b -> b.tableName(app).consistentRead(true)).join().items().forEach(row -> System.out.println(
                "KCL lease table row " + row.get("leaseKey").s() + ": attributes " + new java.util.TreeSet<>(
                        row.keySet()) + ", entityType " + (row.containsKey("entityType") ? row.get("entityType").s()
                        : "-")));
        Map<RetrievalMode, String> apps = Map.of(RetrievalMode.POLLING, app,
                RetrievalMode.FAN_OUT, copyTable(dynamo, app, app + "-fan-out"));
        Set<String> expected = afterIndex(all, KCL_CHECKPOINT_INDEX);
        Map<RetrievalMode, IntegrationSupport.Recorder> recorders = new java.util.EnumMap<>(RetrievalMode.class);
        List<KinesisConsumer> ours = new java.util.ArrayList<>();
        for (RetrievalMode mode : RetrievalMode.values()) {
            IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
            recorders.put(mode, recorder);
            ours.add(new KinesisConsumer(config(endpoints, kinesis, dynamo, apps.get(mode), stream, "ours", mode)
                    .build(), recorder.factory("ours")));
        }
        long start = System.nanoTime();
        ours.forEach(KinesisConsumer::start);
        try {
            await("our consumers caught up", Duration.ofSeconds(60), () -> recorders.values().stream()
                    .allMatch(r -> r.distinct() >= expected.size()));
            System.out.printf("took over from KCL in %d ms (both modes)%n", (System.nanoTime() - start) / 1_000_000);
            // anything read from before KCL's checkpoints, or twice, would come before a marker put after the records
            IntegrationSupport.Markers markers = IntegrationSupport.putMarkers(kinesis, stream, "end");
            expected.addAll(markers.data());
            await("markers delivered and checkpointed in both modes", Duration.ofSeconds(60),
                    () -> recorders.values().stream().allMatch(markers::deliveredAndCheckpointed));
        } finally {
            for (KinesisConsumer c : ours) {
                c.shutdown().get(30, TimeUnit.SECONDS);
            }
        }
        for (RetrievalMode mode : RetrievalMode.values()) {
            IntegrationSupport.Recorder recorder = recorders.get(mode);
            assertEquals(expected, recorder.deliveries.keySet(),
                    mode + ": exactly the records after KCL's checkpoints");
            assertTrue(recorder.duplicates().isEmpty(), mode + ": " + recorder.duplicates());
            for (Map<String, AttributeValue> row : leaseRows(dynamo, apps.get(mode))) {
                assertTrue(row.containsKey("purekinesisStreamArn"), mode + ": our checkpoint names the stream: " + row);
            }
        }
    }

    @Test
    void kclTakesOverFromUsExactlyAfterOurCheckpointsAndKeepsTheStreamIdentity(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "to-kcl", SHARDS);
        Set<String> all = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-to-kcl");

        Map<String, String> ourCheckpoints = new ConcurrentHashMap<>();
        KinesisConsumer ours = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "ours").build(),
                () -> new IntegrationSupport.CheckpointingAt(ourCheckpoints, KCL_CHECKPOINT_INDEX,
                        InitializationInput::shardId));
        ours.start();
        try {
            await("we checkpointed every shard", Duration.ofSeconds(60), () -> ourCheckpoints.size() == SHARDS);
        } finally {
            ours.shutdown().get(30, TimeUnit.SECONDS);
        }
        String arn = kinesis.describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary()
                .streamARN();
        List<Map<String, AttributeValue>> before = leaseRows(dynamo, app);
        assertEquals(SHARDS, before.size());
        before.forEach(row -> assertEquals(arn, row.get("purekinesisStreamArn").s(), row.toString()));

        Set<String> expected = afterIndex(all, KCL_CHECKPOINT_INDEX);
        Set<String> kclDelivered = ConcurrentHashMap.newKeySet();
        Map<String, String> unused = new ConcurrentHashMap<>();
        runKcl(kinesis, dynamo, stream, app, () -> new KclProcessor(unused, kclDelivered, true),
                "processed the rest", () -> kclDelivered.containsAll(expected));
        assertEquals(expected, kclDelivered, "exactly the records after our checkpoints");

        List<Map<String, AttributeValue>> after = leaseRows(dynamo, app);
        for (Map<String, AttributeValue> row : after) {
            System.out.println("row after KCL: " + new java.util.TreeSet<>(row.keySet()));
            assertEquals(arn, row.get("purekinesisStreamArn").s(), "KCL's writes keep our attribute: " + row);
            assertEquals(before.get(0).get("purekinesisStreamCreated"), row.get("purekinesisStreamCreated"));
            assertTrue(!row.get("checkpoint").s().equals(before.stream().filter(b -> b.get("leaseKey")
                    .equals(row.get("leaseKey"))).findFirst().orElseThrow().get("checkpoint").s()),
                    "KCL checkpointed further: " + row);
        }

        // and back: our consumer accepts the rows KCL wrote, and has nothing left to deliver
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer again = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "ours-again")
                .build(), recorder.factory("ours-again"));
        again.start();
        try {
            await("leases taken again", Duration.ofSeconds(30), () -> again.activeShards().size() == SHARDS);
            // a marker put after the records, delivered: everything before it that was going to come has come
            IntegrationSupport.Markers markers = IntegrationSupport.putMarkersAndAwait(kinesis, stream, "back",
                    recorder, Duration.ofSeconds(60));
            assertEquals(markers.data(), recorder.deliveries.keySet(), "only the markers: KCL had processed the rest");
        } finally {
            again.shutdown().get(30, TimeUnit.SECONDS);
        }
    }
}
