package io.purekinesis.benchmarks;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
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
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.RecordProcessorCheckpointer;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * One child JVM of {@link ConsumerRace}: one worker of this consumer ({@code --library ours}) or of KCL 3.5.1
 * ({@code --library kcl}) reading from a {@link GetRecordsSource}, with the same trivial processor in both (count the
 * user records, checkpoint the shard's latest record at most once per {@code --checkpoint-ms}). Both libraries get
 * the same Kinesis client (JSON over HTTP/1.1, the source's protocol) and their defaults, except the failover time
 * ({@code --failover-ms}, both) and, for KCL, metrics off ({@code MetricsLevel.NONE}, no CloudWatch). If no
 * {@code --dynamodb} endpoint is given, DynamoDB Local (testkit) runs in this process.
 *
 * <p>Prints to standard output, each line with the wall clock in epoch milliseconds (parsed by the parent):
 * {@code PROCESS_START t}, {@code START_CALL t} (just before the library's start call), {@code PROCESSED shard t}
 * (first record of each lease it gets), {@code LOST shard t}. In {@code --mode drain} it waits until every one of
 * {@code --shards} shards has delivered a record, then {@code --warmup-s}, then measures its own CPU (/proc/self)
 * and user records over {@code --window-s} and prints {@code RESULT key=value ...} and halts. In
 * {@code --mode worker} it runs until killed.
 */
public final class ConsumerRaceChild {

    private static final Region REGION = Region.US_EAST_1;
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy"));

    private final LongAdder userRecords = new LongAdder();
    private final Set<String> shardsSeen = ConcurrentHashMap.newKeySet();
    private final long checkpointMillis;
    private volatile long firstRecordMillis;

    private ConsumerRaceChild(long checkpointMillis) {
        this.checkpointMillis = checkpointMillis;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("aws.cborEnabled", "false"); // the source speaks JSON only
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        ProcessHandle.current().info().startInstant()
                .ifPresent(t -> emit("PROCESS_START " + t.toEpochMilli()));
        ConsumerRaceChild child = new ConsumerRaceChild(Long.parseLong(opts.getOrDefault("--checkpoint-ms", "1000")));
        URI dynamo;
        if (opts.containsKey("--dynamodb")) {
            dynamo = URI.create(opts.get("--dynamodb"));
        } else {
            dynamo = io.purekinesis.testkit.LocalDynamoDb.start().endpoint(); // lives as long as this process
        }
        KinesisAsyncClient kinesis = KinesisAsyncClient.builder()
                .endpointOverride(URI.create(opts.get("--source")))
                .region(REGION)
                .credentialsProvider(CREDENTIALS)
                .httpClient(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1).maxConcurrency(100).build())
                .build();
        String library = opts.getOrDefault("--library", "ours");
        String stream = opts.getOrDefault("--stream", "race");
        String app = opts.get("--app");
        String workerId = opts.getOrDefault("--worker-id", "w-" + ProcessHandle.current().pid());
        long failoverMillis = Long.parseLong(opts.getOrDefault("--failover-ms", "10000"));
        Runnable start = switch (library) {
            case "ours" -> child.ours(kinesis, dynamo, stream, app, workerId, failoverMillis);
            case "kcl" -> child.kcl(kinesis, dynamo, stream, app, workerId, failoverMillis);
            default -> throw new IllegalArgumentException("--library ours|kcl, not " + library);
        };
        emit("START_CALL " + System.currentTimeMillis());
        start.run();
        if ("drain".equals(opts.getOrDefault("--mode", "drain"))) {
            child.measure(Long.parseLong(opts.getOrDefault("--dynamodb-pid", "-1")),
                    Integer.parseInt(opts.getOrDefault("--shards", "4")),
                    Long.parseLong(opts.getOrDefault("--warmup-s", "10")),
                    Long.parseLong(opts.getOrDefault("--window-s", "30")));
            Runtime.getRuntime().halt(0); // no graceful shutdown: its cost is not part of the race
        }
        Thread.sleep(Long.MAX_VALUE); // worker: until killed
    }

    private static synchronized void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /**
     * Over the window: this process's CPU, and (if {@code dynamoPid} is not -1) that of the DynamoDB Local process; the
     * CPU per thread group of this process goes to a {@code THREAD_CPU} line, largest first.
     */
    private void measure(long dynamoPid, int shards, long warmupSeconds, long windowSeconds)
            throws InterruptedException {
        while (shardsSeen.size() < shards) {
            Thread.sleep(20);
        }
        long allShardsMillis = System.currentTimeMillis();
        Thread.sleep(warmupSeconds * 1000);
        Map<String, Double> threads0 = ProcSelf.cpuSecondsByThreadGroup();
        Map<String, Double> javaThreads0 = ProcSelf.javaCpuSecondsByThreadGroup();
        double dynamo0 = ProcSelf.cpuSeconds(dynamoPid);
        double cpu0 = ProcSelf.cpuSeconds();
        long records0 = userRecords.sum();
        long t0 = System.nanoTime();
        Thread.sleep(windowSeconds * 1000);
        double cpu1 = ProcSelf.cpuSeconds();
        double dynamo1 = ProcSelf.cpuSeconds(dynamoPid);
        long records1 = userRecords.sum();
        long t1 = System.nanoTime();
        emit("THREAD_CPU" + delta(threads0, ProcSelf.cpuSecondsByThreadGroup()));
        emit("JAVA_THREAD_CPU" + delta(javaThreads0, ProcSelf.javaCpuSecondsByThreadGroup()));
        emit("RESULT records=" + (records1 - records0) + " seconds=" + (t1 - t0) / 1e9 + " cpu=" + (cpu1 - cpu0)
                + (dynamoPid < 0 ? "" : " dynamoCpu=" + (dynamo1 - dynamo0))
                + " peakRssKib=" + ProcSelf.peakRssKib() + " firstRecord=" + firstRecordMillis + " allShards="
                + allShardsMillis);
    }

    /** " name=seconds" per thread group that used CPU between the two readings, largest first. */
    private static String delta(Map<String, Double> before, Map<String, Double> after) {
        StringBuilder sb = new StringBuilder();
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0)))
                .filter(e -> e.getValue() >= 0.005)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sb.append(String.format(java.util.Locale.ROOT, " %s=%.2f",
                        e.getKey().replace(' ', '_').replace('=', '_'), e.getValue())));
        return sb.toString();
    }

    /** Called by both libraries' processors with every non-empty batch. */
    private void delivered(String shard, int records) {
        userRecords.add(records);
        if (shardsSeen.add(shard)) {
            long now = System.currentTimeMillis();
            if (firstRecordMillis == 0) {
                firstRecordMillis = now;
                emit("FIRST_RECORD " + now);
            }
        }
    }

    private boolean checkpointDue(long[] lastCheckpoint) {
        long now = System.nanoTime();
        if (now - lastCheckpoint[0] >= checkpointMillis * 1_000_000) {
            lastCheckpoint[0] = now;
            return true;
        }
        return false;
    }

    // ---- this consumer

    private Runnable ours(KinesisAsyncClient kinesis, URI dynamo, String stream, String app, String workerId,
            long failoverMillis) {
        ConsumerConfig config = ConsumerBenchmark.failoverConfig(app, stream, workerId, failoverMillis, kinesis, dynamo);
        KinesisConsumer consumer = new KinesisConsumer(config, OursProcessor::new);
        return consumer::start;
    }

    private final class OursProcessor implements RecordProcessor {
        private final long[] lastCheckpoint = {System.nanoTime()};
        private String shard;
        private boolean announced;

        private OursProcessor() {
        }

        @Override
        public void initialize(InitializationInput input) {
            shard = input.shardId();
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            if (input.records().isEmpty()) {
                return;
            }
            if (!announced) {
                announced = true;
                emit("PROCESSED " + shard + " " + System.currentTimeMillis());
            }
            delivered(shard, input.records().size());
            if (checkpointDue(lastCheckpoint)) {
                input.checkpointer().checkpoint();
            }
        }

        @Override
        public void leaseLost() {
            emit("LOST " + shard + " " + System.currentTimeMillis());
        }

        @Override
        public void shardEnded(Checkpointer checkpointer) {
            checkpointer.checkpoint();
        }

        @Override
        public void shutdownRequested(Checkpointer checkpointer) {
            checkpointer.checkpoint();
            emit("LOST " + shard + " " + System.currentTimeMillis());
        }
    }

    // ---- KCL 3.5.1

    private Runnable kcl(KinesisAsyncClient kinesis, URI dynamo, String stream, String app, String workerId,
            long failoverMillis) {
        DynamoDbAsyncClient dynamoClient = DynamoDbAsyncClient.builder()
                .endpointOverride(dynamo)
                .region(REGION)
                .credentialsProvider(CREDENTIALS)
                .build();
        // never called with metrics off; an unreachable endpoint makes sure of it
        CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:1"))
                .region(REGION)
                .credentialsProvider(CREDENTIALS)
                .build();
        ConfigsBuilder configs = new ConfigsBuilder(new SingleStreamTracker(stream,
                InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON)), app,
                kinesis, dynamoClient, cloudWatch, workerId, KclProcessor::new);
        Scheduler scheduler = new Scheduler(configs.checkpointConfig(), configs.coordinatorConfig(),
                configs.leaseManagementConfig().failoverTimeMillis(failoverMillis), configs.lifecycleConfig(),
                configs.metricsConfig().metricsLevel(MetricsLevel.NONE).metricsFactory(new NullMetricsFactory()),
                configs.processorConfig(),
                configs.retrievalConfig().retrievalSpecificConfig(new PollingConfig(stream, kinesis)));
        Thread thread = new Thread(() -> {
            scheduler.run();
            // the scheduler gave up (e.g. initialisation failed): exit, so the parent does not wait for a worker
            // that will never process anything
            emit("LIBRARY_STOPPED " + System.currentTimeMillis());
            Runtime.getRuntime().halt(3);
        }, "kcl-scheduler");
        thread.setDaemon(true);
        return thread::start;
    }

    private final class KclProcessor implements ShardRecordProcessor {
        private final long[] lastCheckpoint = {System.nanoTime()};
        private String shard;
        private boolean announced;

        private KclProcessor() {
        }

        @Override
        public void initialize(software.amazon.kinesis.lifecycle.events.InitializationInput input) {
            shard = input.shardId();
        }

        @Override
        public void processRecords(software.amazon.kinesis.lifecycle.events.ProcessRecordsInput input) {
            if (input.records().isEmpty()) {
                return;
            }
            if (!announced) {
                announced = true;
                emit("PROCESSED " + shard + " " + System.currentTimeMillis());
            }
            delivered(shard, input.records().size());
            if (checkpointDue(lastCheckpoint)) {
                checkpoint(input.checkpointer());
            }
        }

        @Override
        public void leaseLost(LeaseLostInput input) {
            emit("LOST " + shard + " " + System.currentTimeMillis());
        }

        @Override
        public void shardEnded(ShardEndedInput input) {
            checkpoint(input.checkpointer());
        }

        @Override
        public void shutdownRequested(ShutdownRequestedInput input) {
            checkpoint(input.checkpointer());
            emit("LOST " + shard + " " + System.currentTimeMillis());
        }

        private void checkpoint(RecordProcessorCheckpointer checkpointer) {
            try {
                checkpointer.checkpoint();
            } catch (KinesisClientLibException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
