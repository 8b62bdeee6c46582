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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
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
 * The real KCL 3.5.1 processes part of a stream and checkpoints; then this consumer, with the same application
 * name (so the same lease table), takes over and processes exactly the records after KCL's checkpoints. KCL 3.x
 * takes 85-100 s to start on the local endpoints, so this is the slowest test of the module.
 */
@ExtendWith(LocalEndpointsExtension.class)
class KclMigrationIntegrationTest {

    private static final int SHARDS = 2;
    private static final int PER_SHARD = 40;
    private static final int KCL_CHECKPOINT_INDEX = 14;

    /** A KCL processor that checkpoints at the record with index KCL_CHECKPOINT_INDEX of each shard, then stops. */
    static final class KclProcessor implements ShardRecordProcessor {
        final Map<String, String> checkpointedData;
        String shardId;

        KclProcessor(Map<String, String> checkpointedData) {
            this.checkpointedData = checkpointedData;
        }

        @Override
        public void initialize(software.amazon.kinesis.lifecycle.events.InitializationInput input) {
            shardId = input.shardId();
        }

        @Override
        public void processRecords(software.amazon.kinesis.lifecycle.events.ProcessRecordsInput input) {
            for (KinesisClientRecord r : input.records()) {
                String data = StandardCharsets.UTF_8.decode(r.data()).toString();
                if (data.endsWith("#" + KCL_CHECKPOINT_INDEX) && !checkpointedData.containsKey(shardId)) {
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

    @Test
    void takesOverFromKclExactlyAfterItsCheckpoints(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("kcl");
        Streams.createStream(kinesis, stream, SHARDS);
        Set<String> all = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-kcl");

        Map<String, String> kclCheckpoints = new ConcurrentHashMap<>();
        try (CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(URI.create("http://localhost:1")).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .build()) {
            ConfigsBuilder kcl = new ConfigsBuilder(new SingleStreamTracker(stream,
                    InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)), app,
                    kinesis, dynamo, cloudWatch, "kcl-worker", () -> new KclProcessor(kclCheckpoints));
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
                await("KCL checkpointed every shard", Duration.ofSeconds(240),
                        () -> kclCheckpoints.size() == SHARDS);
                System.out.printf("KCL 3.5.1 checkpointed %s after %d s%n", kclCheckpoints,
                        (System.nanoTime() - start) / 1_000_000_000);
            } finally {
                try {
                    scheduler.startGracefulShutdown().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    scheduler.shutdown();
                }
                kclThread.join(30_000);
            }
        }

        dynamo.scan(b -> b.tableName(app).consistentRead(true)).join().items().forEach(row -> System.out.println(
                "KCL lease table row " + row.get("leaseKey").s() + ": attributes " + new java.util.TreeSet<>(
                        row.keySet()) + ", entityType " + (row.containsKey("entityType") ? row.get("entityType").s()
                        : "-")));
        Set<String> expected = new HashSet<>();
        for (String data : all) {
            int index = Integer.parseInt(data.substring(data.indexOf('#') + 1));
            if (index > KCL_CHECKPOINT_INDEX) {
                expected.add(data);
            }
        }
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer ours = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "ours").build(),
                recorder.factory("ours"));
        long start = System.nanoTime();
        ours.start();
        try {
            await("our consumer caught up", Duration.ofSeconds(60), () -> recorder.distinct() >= expected.size());
            Thread.sleep(1_000);
            System.out.printf("took over from KCL in %d ms%n", (System.nanoTime() - start) / 1_000_000);
        } finally {
            ours.shutdown().get(30, TimeUnit.SECONDS);
        }
        assertEquals(expected, recorder.deliveries.keySet(), "exactly the records after KCL's checkpoints");
        assertTrue(recorder.duplicates().isEmpty());
    }
}
