package io.purekinesis.samples.sidebyside;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.coordinator.CoordinatorConfig;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.KinesisClientLibException;
import software.amazon.kinesis.leases.LeaseManagementConfig;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * An application with KCL 3.5.1 and purekinesis on one class path, as one migrating from KCL has: it writes a
 * stream with the purekinesis producer (small records, so they travel in KPL aggregates) and reads it twice, with
 * the purekinesis consumer and with a KCL 3.5.1 worker, each under its own application name (so its own lease
 * table). Both de-aggregate with whatever protobuf-java Maven picked: KCL's, since nothing is pinned.
 *
 * <p>The clients are the application's; {@link #close()} stops the workers and the producer, not the clients.
 */
public final class SideBySideApp implements AutoCloseable {

    private final KinesisAsyncClient kinesis;
    private final DynamoDbAsyncClient dynamo;
    private final CloudWatchAsyncClient cloudWatch;
    private final String stream;
    private final String applicationName;
    private final boolean shortKclTimings;
    private final Map<String, AtomicInteger> readByPurekinesis = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> readByKcl = new ConcurrentHashMap<>();
    private final AtomicInteger aggregatedByPurekinesis = new AtomicInteger();
    private final AtomicInteger aggregatedByKcl = new AtomicInteger();
    private KinesisConsumer consumer;
    private Scheduler kcl;
    private Thread kclThread;

    /**
     * @param applicationName the two readers use it with suffixes {@code -purekinesis} and {@code -kcl}
     * @param shortKclTimings KCL timings for local endpoints, where its defaults take minutes to start (see
     *                        {@link #shortenForLocalTesting}); false on AWS
     */
    public SideBySideApp(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, CloudWatchAsyncClient cloudWatch,
            String stream, String applicationName, boolean shortKclTimings) {
        this.kinesis = kinesis;
        this.dynamo = dynamo;
        this.cloudWatch = cloudWatch;
        this.stream = stream;
        this.applicationName = applicationName;
        this.shortKclTimings = shortKclTimings;
    }

    /**
     * Against AWS: {@code <stream> [application name]}, with credentials and region from the SDK's default chains.
     * Writes 100 records and waits (at most 10 minutes) until both readers have read them.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SideBySideApp <stream> [application name]");
            System.exit(2);
        }
        try (KinesisAsyncClient kinesis = KinesisAsyncClient.create();
                DynamoDbAsyncClient dynamo = DynamoDbAsyncClient.create();
                CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.create();
                SideBySideApp app = new SideBySideApp(kinesis, dynamo, cloudWatch, args[0],
                        args.length > 1 ? args[1] : "side-by-side", false)) {
            app.startReaders();
            List<String> sent = app.produce(100);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (!(app.readByPurekinesis().keySet().containsAll(sent) && app.readByKcl().keySet().containsAll(sent))
                    && System.nanoTime() < deadline) {
                Thread.sleep(5_000);
                System.out.printf("read so far: purekinesis %d, KCL %d%n", app.readByPurekinesis().size(),
                        app.readByKcl().size());
            }
        }
    }

    /** Starts both readers at the start of the stream. */
    public void startReaders() {
        consumer = new KinesisConsumer(ConsumerConfig.builder()
                .applicationName(applicationName + "-purekinesis")
                .streamName(stream)
                .initialPosition(InitialPosition.trimHorizon())
                .kinesisClient(kinesis)
                .dynamoDbClient(dynamo)
                .build(), () -> new Recorder(readByPurekinesis, aggregatedByPurekinesis));
        consumer.start();

        ConfigsBuilder configs = new ConfigsBuilder(new SingleStreamTracker(stream,
                InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)),
                applicationName + "-kcl", kinesis, dynamo, cloudWatch, "kcl-worker",
                () -> new KclRecorder(readByKcl, aggregatedByKcl));
        LeaseManagementConfig leases = configs.leaseManagementConfig();
        CoordinatorConfig coordinator = configs.coordinatorConfig();
        if (shortKclTimings) {
            shortenForLocalTesting(leases, coordinator);
        }
        kcl = new Scheduler(configs.checkpointConfig(), coordinator, leases, configs.lifecycleConfig(),
                configs.metricsConfig().metricsFactory(new NullMetricsFactory()), configs.processorConfig(),
                configs.retrievalConfig().retrievalSpecificConfig(new PollingConfig(stream, kinesis)
                        .idleTimeBetweenReadsInMillis(500)));
        kclThread = new Thread(kcl, "kcl-scheduler");
        kclThread.setDaemon(true);
        kclThread.start();
    }

    /**
     * Writes {@code count} small records with the purekinesis producer and waits until each is stored.
     *
     * @return the data of every record, as the readers will report it
     */
    public List<String> produce(int count) {
        List<String> sent = new ArrayList<>(count);
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>(count);
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis).build());
        try {
            for (int i = 0; i < count; i++) {
                String data = "record-" + i;
                sent.add(data);
                futures.add(producer.add(stream, "customer-" + (i % 50), data.getBytes(StandardCharsets.UTF_8)));
            }
        } finally {
            List<?> undelivered = producer.close(Duration.ofSeconds(60));
            if (!undelivered.isEmpty()) {
                throw new IllegalStateException(undelivered.size() + " records were not stored");
            }
        }
        long aggregated = futures.stream().map(CompletableFuture::join).filter(RecordResult::aggregated).count();
        System.out.printf("produced %d records, %d of them inside aggregates%n", count, aggregated);
        return sent;
    }

    /**
     * KCL 3.5.1's defaults take about two minutes from start to the first record on a fresh lease table: it sleeps
     * a whole shard-sync interval (60 s) after creating the leases, the leader assigns leases every 2 x failover
     * time (20 s) and only to workers that reported metrics (every 30 s). These make it start in 15-45 s (what is
     * left is fixed in KCL: a 10 s wait for the lease table's index and a random 1-30 s wait before the first shard
     * sync). Fine against local endpoints; on AWS they would multiply the lease-table and ListShards calls.
     */
    private static void shortenForLocalTesting(LeaseManagementConfig leases, CoordinatorConfig coordinator) {
        leases.failoverTimeMillis(2_000).leaseAssignmentIntervalMillis(1_000L).shardSyncIntervalMillis(1_000);
        leases.workerUtilizationAwareAssignmentConfig().workerMetricsReporterFreqInMillis(1_000)
                .inMemoryWorkerMetricsCaptureFrequencyMillis(500);
        coordinator.parentShardPollIntervalMillis(500).schedulerInitializationBackoffTimeMillis(500);
    }

    /** Data read by the purekinesis consumer, with how often each was delivered. */
    public Map<String, AtomicInteger> readByPurekinesis() {
        return readByPurekinesis;
    }

    /** Data read by the KCL worker, with how often each was delivered. */
    public Map<String, AtomicInteger> readByKcl() {
        return readByKcl;
    }

    /** User records that the purekinesis consumer took out of aggregates. */
    public int aggregatedByPurekinesis() {
        return aggregatedByPurekinesis.get();
    }

    /** User records that KCL took out of aggregates. */
    public int aggregatedByKcl() {
        return aggregatedByKcl.get();
    }

    @Override
    public void close() throws Exception {
        if (consumer != null) {
            consumer.shutdown().get(60, TimeUnit.SECONDS);
        }
        if (kcl != null) {
            try {
                kcl.startGracefulShutdown().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                kcl.shutdown();
            }
            kclThread.join(30_000);
        }
    }

    private static void record(Map<String, AtomicInteger> seen, String data) {
        seen.computeIfAbsent(data, k -> new AtomicInteger()).incrementAndGet();
    }

    /** The purekinesis processor: records what it reads, checkpoints after each batch. */
    private static final class Recorder implements RecordProcessor {
        private final Map<String, AtomicInteger> seen;
        private final AtomicInteger aggregated;

        Recorder(Map<String, AtomicInteger> seen, AtomicInteger aggregated) {
            this.seen = seen;
            this.aggregated = aggregated;
        }

        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            for (KinesisUserRecord r : input.records()) {
                record(seen, StandardCharsets.UTF_8.decode(r.data()).toString());
                if (r.aggregated()) {
                    aggregated.incrementAndGet();
                }
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
        }
    }

    /** The KCL processor: the same, in KCL's interface. */
    private static final class KclRecorder implements ShardRecordProcessor {
        private final Map<String, AtomicInteger> seen;
        private final AtomicInteger aggregated;

        KclRecorder(Map<String, AtomicInteger> seen, AtomicInteger aggregated) {
            this.seen = seen;
            this.aggregated = aggregated;
        }

        @Override
        public void initialize(software.amazon.kinesis.lifecycle.events.InitializationInput input) {
        }

        @Override
        public void processRecords(software.amazon.kinesis.lifecycle.events.ProcessRecordsInput input) {
            for (KinesisClientRecord r : input.records()) {
                record(seen, StandardCharsets.UTF_8.decode(r.data()).toString());
                if (r.aggregated()) {
                    aggregated.incrementAndGet();
                }
            }
            checkpoint(input.checkpointer(), "after a batch");
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
            checkpoint(input.checkpointer(), "at the shard's end");
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
            checkpoint(input.checkpointer(), "at shutdown");
        }

        private static void checkpoint(RecordProcessorCheckpointer checkpointer, String when) {
            try {
                checkpointer.checkpoint();
            } catch (KinesisClientLibException e) {
                throw new IllegalStateException("KCL checkpoint " + when + " failed", e);
            }
        }
    }
}
