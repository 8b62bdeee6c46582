package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.net.URI;
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
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.StreamConfig;
import software.amazon.kinesis.common.StreamIdentifier;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.FormerStreamsLeasesDeletionStrategy;
import software.amazon.kinesis.processor.MultiStreamTracker;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * KCL 3.5.1 in multi-stream mode takes over a lease table our multi-stream consumer wrote, over two streams: it
 * reads our keys and checkpoints and processes exactly the records after them. KCL takes 85-100 s to start here.
 */
@ExtendWith(LocalEndpointsExtension.class)
class KclMultiStreamIntegrationTest {

    private static final int PER_SHARD = 30;
    private static final int CHECKPOINT_INDEX = 14;
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    /** Data {@code stream#i}; one shard per stream. */
    private static Set<String> fill(KinesisAsyncClient kinesis, String stream) {
        Set<String> all = new HashSet<>();
        List<software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < PER_SHARD; i++) {
            String d = stream + "#" + i;
            all.add(d);
            entries.add(software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry.builder()
                    .partitionKey("pk").data(software.amazon.awssdk.core.SdkBytes.fromUtf8String(d)).build());
        }
        IntegrationSupport.putAll(kinesis, stream, entries);
        return all;
    }

    @Test
    void kclInMultiStreamModeTakesOverOurTableExactlyAfterOurCheckpoints(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String a = streams.create(kinesis, "kms-a", 1);
        String b = streams.create(kinesis, "kms-b", 1);
        Set<String> all = new HashSet<>(fill(kinesis, a));
        all.addAll(fill(kinesis, b));
        String app = Streams.uniqueStreamName("app-kms");

        Map<String, String> ourCheckpoints = new ConcurrentHashMap<>();
        KinesisConsumer ours = new KinesisConsumer(ConsumerConfig.builder().applicationName(app).streams(a, b)
                .workerId("ours").initialPosition(InitialPosition.trimHorizon())
                .failoverTime(IntegrationSupport.FAILOVER).idleTimeBetweenReads(Duration.ofMillis(300))
                .kinesisClient(kinesis).dynamoDbClient(dynamo).build(),
                () -> new IntegrationSupport.CheckpointingAt(ourCheckpoints, CHECKPOINT_INDEX,
                        InitializationInput::streamName));
        ours.start();
        try {
            await("we checkpointed both streams", Duration.ofSeconds(60), () -> ourCheckpoints.size() == 2);
        } finally {
            ours.shutdown().get(30, TimeUnit.SECONDS);
        }

        Set<String> expected = new HashSet<>();
        for (String d : all) {
            if (Integer.parseInt(d.substring(d.indexOf('#') + 1)) > CHECKPOINT_INDEX) {
                expected.add(d);
            }
        }
        List<StreamConfig> configs = new java.util.ArrayList<>();
        for (String s : List.of(a, b)) {
            StreamDescriptionSummary d = kinesis.describeStreamSummary(r -> r.streamName(s)).join()
                    .streamDescriptionSummary();
            String serialized = d.streamARN().split(":")[4] + ":" + s + ":"
                    + d.streamCreationTimestamp().getEpochSecond();
            configs.add(new StreamConfig(StreamIdentifier.multiStreamInstance(serialized),
                    InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)));
        }
        MultiStreamTracker tracker = new MultiStreamTracker() {
            @Override
            public List<StreamConfig> streamConfigList() {
                return configs;
            }

            @Override
            public FormerStreamsLeasesDeletionStrategy formerStreamsLeasesDeletionStrategy() {
                return new FormerStreamsLeasesDeletionStrategy.NoLeaseDeletionStrategy();
            }
        };
        Set<String> kclDelivered = ConcurrentHashMap.newKeySet();
        try (CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(URI.create("http://localhost:1")).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .build()) {
            ConfigsBuilder kcl = new ConfigsBuilder(tracker, app, kinesis, dynamo, cloudWatch, "kcl-worker",
                    () -> new KclMigrationIntegrationTest.KclProcessor(new ConcurrentHashMap<>(), kclDelivered,
                            true));
            Scheduler scheduler = new Scheduler(kcl.checkpointConfig(), kcl.coordinatorConfig(),
                    kcl.leaseManagementConfig().failoverTimeMillis(3_000), kcl.lifecycleConfig(),
                    kcl.metricsConfig().metricsFactory(new NullMetricsFactory()), kcl.processorConfig(),
                    kcl.retrievalConfig().retrievalSpecificConfig(new PollingConfig(kinesis)
                            .idleTimeBetweenReadsInMillis(500)));
            Thread kclThread = new Thread(scheduler, "kcl-scheduler");
            kclThread.setDaemon(true);
            kclThread.start();
            try {
                await("KCL processed the rest of both streams", Duration.ofSeconds(240),
                        () -> kclDelivered.containsAll(expected));
            } finally {
                try {
                    scheduler.startGracefulShutdown().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    scheduler.shutdown();
                }
                kclThread.join(30_000);
            }
        }
        assertEquals(expected, kclDelivered, "exactly the records after our checkpoints, in both streams");

        // and back: our consumer reads the rows KCL wrote and has only what came after them to deliver
        MultiStreamIntegrationTest.Recorder recorder = new MultiStreamIntegrationTest.Recorder();
        KinesisConsumer again = new KinesisConsumer(ConsumerConfig.builder().applicationName(app).streams(a, b)
                .workerId("ours-again").initialPosition(InitialPosition.trimHorizon())
                .failoverTime(IntegrationSupport.FAILOVER).idleTimeBetweenReads(Duration.ofMillis(300))
                .kinesisClient(kinesis).dynamoDbClient(dynamo).build(), recorder.factory());
        again.start();
        try {
            Set<String> markers = Set.of(a + "#marker", b + "#marker");
            for (String m : markers) {
                kinesis.putRecord(r -> r.streamName(m.substring(0, m.indexOf('#'))).partitionKey("pk")
                        .data(software.amazon.awssdk.core.SdkBytes.fromUtf8String(m))).join();
            }
            await("markers delivered", Duration.ofSeconds(60), () -> recorder.data.containsAll(markers));
            assertEquals(markers, recorder.data, "only the markers: KCL had processed the rest");
        } finally {
            again.shutdown().get(30, TimeUnit.SECONDS);
        }
    }
}
