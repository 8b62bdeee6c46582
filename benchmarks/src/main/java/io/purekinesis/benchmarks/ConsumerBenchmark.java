package io.purekinesis.benchmarks;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Consumer benchmark. Two modes; prints figures, asserts nothing about time.
 *
 * <p><b>Throughput</b> (default): a {@link GetRecordsSource} in a separate JVM serves a pre-filled stream (plain or
 * KPL-aggregated records) and runs DynamoDB Local for the lease table, so the process CPU measured here is the
 * consumer's (plus its no-op processors). One {@link KinesisConsumer} reads from TRIM_HORIZON until it has delivered
 * every user record; prints records/s, CPU seconds per million records, time from {@code start()} to the first
 * record, peak heap and GC, and the ceiling the consumer's own read limits put on the run.
 *
 * <p><b>Failover</b> ({@code --failover true}): on the Kinesis emulator and DynamoDB Local (testkit), a 4-shard
 * stream with a slow trickle of records; worker A runs in a child JVM, worker B (the survivor) here. Once they share
 * the shards, A is killed with {@code Process.destroyForcibly()} (SIGKILL: no lease release, no shutdown); prints the
 * time until B holds all of A's leases and until B has processed a record from each of them.
 */
public final class ConsumerBenchmark {

    private static final Region REGION = Region.US_EAST_1;
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy"));

    private ConsumerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("aws.cborEnabled", "false");
        Map<String, String> opts = parse(args);
        if (opts.containsKey("--failover-worker")) {
            failoverWorker(opts);
        } else if (Boolean.parseBoolean(opts.getOrDefault("--failover", "false"))) {
            failover(opts);
        } else {
            throughput(opts);
        }
        System.exit(0);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String key = args[i];
            String value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
            opts.put(key, value);
        }
        return opts;
    }

    static KinesisAsyncClient kinesisClient(URI endpoint) {
        return KinesisAsyncClient.builder()
                .endpointOverride(endpoint)
                .region(REGION)
                .credentialsProvider(CREDENTIALS)
                .httpClient(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1).maxConcurrency(100).build())
                .build();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Busy CPU time of the whole machine in seconds (/proc/stat: user+nice+system+irq+softirq+steal), or -1. */
    private static double machineBusySeconds() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(f[i]);
            }
            return busy / 100.0; // USER_HZ
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long childCpuNanos(Process p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    // ------------------------------------------------------------------ throughput

    /** Counts and checkpoints every batch. */
    private static final class CountingProcessor extends ShardProcessor {
        private final LongAdder delivered;
        private final AtomicLong firstRecordNanos;
        private final AtomicLong firstRecordCpu;
        private final CountDownLatch first;
        private final Runnable onBatch;

        CountingProcessor(LongAdder delivered, AtomicLong firstRecordNanos, AtomicLong firstRecordCpu,
                CountDownLatch first, Runnable onBatch) {
            this.delivered = delivered;
            this.firstRecordNanos = firstRecordNanos;
            this.firstRecordCpu = firstRecordCpu;
            this.first = first;
            this.onBatch = onBatch;
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            int n = input.records().size();
            if (n == 0) {
                return;
            }
            if (firstRecordNanos.get() == 0 && firstRecordNanos.compareAndSet(0, System.nanoTime())) {
                firstRecordCpu.set(processCpuNanos());
                first.countDown();
            }
            delivered.add(n);
            input.checkpointer().checkpoint();
            onBatch.run();
        }
    }

    /** The benchmark processors' common lifecycle: remember the shard, checkpoint at its end and at shutdown. */
    private abstract static class ShardProcessor implements RecordProcessor {
        String shard;

        @Override
        public void initialize(InitializationInput input) {
            shard = input.shardId();
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

    private static void throughput(Map<String, String> opts) throws Exception {
        long records = Long.parseLong(opts.getOrDefault("--records", "2000000"));
        int shards = Integer.parseInt(opts.getOrDefault("--shards", "4"));
        boolean aggregated = Boolean.parseBoolean(opts.getOrDefault("--aggregated", "false"));
        int recordSize = Integer.parseInt(opts.getOrDefault("--record-size", "100"));
        int perAggregate = Integer.parseInt(opts.getOrDefault("--records-per-aggregate", "480"));
        String endpoint = opts.get("--endpoint");
        String stream = opts.getOrDefault("--stream", "bench");
        String sourceJvm = opts.getOrDefault("--source-jvm-opts", "-Xmx1g -XX:+UseParallelGC");
        int perEntry = aggregated ? perAggregate : 1;
        long entriesPerShard = (records + (long) shards * perEntry - 1) / ((long) shards * perEntry);
        long expected = endpoint == null ? entriesPerShard * shards * perEntry : records;

        System.out.println("load average before run: " + loadAverage());
        System.out.printf(Locale.ROOT, "JVM %s, %d CPUs, max heap %d MiB%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(sourceJvm.trim().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GetRecordsSource.class.getName(),
                "--shards", Integer.toString(shards), "--entries-per-shard",
                Long.toString(endpoint == null ? entriesPerShard : 1), "--aggregated", Boolean.toString(aggregated),
                "--record-size", Integer.toString(recordSize), "--records-per-aggregate",
                Integer.toString(perAggregate), "--dynamodb", "true"));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        URI kinesisEndpoint = null;
        URI dynamoEndpoint = null;
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null && !line.equals("READY"); ) {
            if (line.startsWith("SOURCE_PORT=")) {
                kinesisEndpoint = URI.create("http://127.0.0.1:" + line.substring("SOURCE_PORT=".length()));
            } else if (line.startsWith("DYNAMODB_ENDPOINT=")) {
                dynamoEndpoint = URI.create(line.substring("DYNAMODB_ENDPOINT=".length()));
            }
        }
        if (kinesisEndpoint == null || dynamoEndpoint == null) {
            throw new IllegalStateException("source process did not start, exit " + child.waitFor());
        }
        if (endpoint != null) {
            kinesisEndpoint = URI.create(endpoint);
        }

        // Ceiling from the consumer's read limits (ShardFetcher): one GetRecords per max(minTimeBetweenReads,
        // bytes / 2 MiB/s), at most 10,000 entries each; the source returns at most 2 MiB of data per call.
        int entryBytes = aggregated ? aggregateSize(recordSize, perAggregate) : recordSize;
        long entriesPerCall = Math.min(ConsumerConfig.DEFAULT_MAX_RECORDS,
                Math.max(1, GetRecordsSource.MAX_RESPONSE_DATA_BYTES / entryBytes));
        double secondsPerCall = Math.max(ConsumerConfig.DEFAULT_MIN_TIME_BETWEEN_READS.toMillis() / 1000.0,
                entriesPerCall * entryBytes / (2.0 * 1024 * 1024));
        double ceiling = shards * entriesPerCall * perEntry / secondsPerCall;

        System.out.printf(Locale.ROOT, "stream: %s, %d shards, %s, %d-byte user records%s, %,d user records%n",
                endpoint == null ? "GetRecordsSource (separate JVM)" : endpoint, shards,
                aggregated ? "aggregated" : "plain", recordSize,
                aggregated ? " (" + perAggregate + " per " + entryBytes + "-byte aggregate)" : "", expected);

        LongAdder delivered = new LongAdder();
        AtomicLong firstNanos = new AtomicLong();
        AtomicLong firstCpu = new AtomicLong();
        AtomicLong doneNanos = new AtomicLong();
        AtomicLong doneCpu = new AtomicLong();
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Runnable onBatch = () -> {
            if (delivered.sum() >= expected && doneNanos.get() == 0 && doneNanos.compareAndSet(0, System.nanoTime())) {
                doneCpu.set(processCpuNanos());
                done.countDown();
            }
        };
        KinesisAsyncClient kinesis = kinesisClient(kinesisEndpoint);
        ConsumerConfig config = ConsumerConfig.builder()
                .applicationName("consumer-bench-" + System.currentTimeMillis())
                .streamName(stream)
                .initialPosition(InitialPosition.trimHorizon())
                .kinesisClient(kinesis)
                .dynamoDbEndpoint(dynamoEndpoint)
                .credentialsProvider(CREDENTIALS)
                .region(REGION)
                .build();
        KinesisConsumer consumer = new KinesisConsumer(config,
                () -> new CountingProcessor(delivered, firstNanos, firstCpu, first, onBatch));

        AtomicLong peakHeap = new AtomicLong();
        AtomicLong peakAfterGc = new AtomicLong();
        listenForHeapAfterGc(peakAfterGc);
        Thread heapPoller = new Thread(() -> {
            var memory = ManagementFactory.getMemoryMXBean();
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-poller");
        heapPoller.setDaemon(true);
        heapPoller.start();

        long gcCount0 = gcCount();
        long gcTime0 = gcTime();
        long startNanos = System.nanoTime();
        long startCpu = processCpuNanos();
        consumer.start();
        first.await();
        long childCpuAtFirst = childCpuNanos(child);
        double machineAtFirst = machineBusySeconds();
        long lastReport = System.nanoTime();
        while (!done.await(1, TimeUnit.SECONDS)) {
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(5)) {
                System.out.printf(Locale.ROOT, "  ... %,d of %,d user records%n", delivered.sum(), expected);
                lastReport = System.nanoTime();
            }
        }
        long childCpuAtDone = childCpuNanos(child);
        double machineAtDone = machineBusySeconds();
        heapPoller.interrupt();
        long gcCount = gcCount() - gcCount0;
        long gcTime = gcTime() - gcTime0;

        double window = (doneNanos.get() - firstNanos.get()) / 1e9;
        double total = (doneNanos.get() - startNanos) / 1e9;
        long n = delivered.sum();
        double cpuWindow = (doneCpu.get() - firstCpu.get()) / 1e9;
        double cpuTotal = (doneCpu.get() - startCpu) / 1e9;
        System.out.printf(Locale.ROOT, "start() to first record:        %.3f s%n", (firstNanos.get() - startNanos) / 1e9);
        System.out.printf(Locale.ROOT, "first to last record:           %.3f s (%,d user records delivered)%n", window, n);
        System.out.printf(Locale.ROOT, "throughput (first to last):     %,.0f user records/s, %.1f MB/s of user data%n",
                n / window, n * (double) recordSize / window / 1e6);
        System.out.printf(Locale.ROOT, "throughput (start() to last):   %,.0f user records/s%n", n / total);
        System.out.printf(Locale.ROOT, "ceiling of the read limits:     %,.0f user records/s (%d shards x %d entries"
                        + " per call, one call per %.0f ms)%n", ceiling, shards, entriesPerCall,
                secondsPerCall * 1000);
        System.out.printf(Locale.ROOT, "consumer process CPU:           %.2f s over first-to-last = %.2f CPU s per"
                        + " million user records (%.2f s incl. startup)%n", cpuWindow, cpuWindow * 1e6 / n, cpuTotal);
        if (childCpuAtFirst >= 0 && childCpuAtDone >= 0) {
            System.out.printf(Locale.ROOT, "source+DynamoDB Local JVM CPU:  %.2f s over first-to-last%n",
                    (childCpuAtDone - childCpuAtFirst) / 1e9);
            if (machineAtFirst >= 0 && machineAtDone >= 0) {
                double machine = machineAtDone - machineAtFirst;
                System.out.printf(Locale.ROOT, "machine busy CPU (/proc/stat):  %.2f cores over first-to-last; other"
                                + " processes %.2f cores%n", machine / window,
                        (machine - cpuWindow - (childCpuAtDone - childCpuAtFirst) / 1e9) / window);
            }
        }
        System.out.printf(Locale.ROOT, "peak heap used (50 ms polls):   %d MiB of %d MiB max (garbage included);"
                        + " peak used right after a GC: %d MiB; GC: %d collections, %d ms%n",
                peakHeap.get() >> 20, Runtime.getRuntime().maxMemory() >> 20, peakAfterGc.get() >> 20, gcCount,
                gcTime);
        System.out.println("load average after run:  " + loadAverage());

        boolean clean = consumer.close(Duration.ofSeconds(20));
        System.out.println("consumer closed" + (clean ? "" : " (deadline reached)"));
        kinesis.close();
        child.getOutputStream().close();
        if (!child.waitFor(20, TimeUnit.SECONDS)) {
            child.destroyForcibly();
        }
    }

    /** Keeps in {@code peak} the most heap in use right after any GC (all heap pools, from the GC notifications). */
    private static void listenForHeapAfterGc(AtomicLong peak) {
        var heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
                .map(java.lang.management.MemoryPoolMXBean::getName)
                .collect(java.util.stream.Collectors.toSet());
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof javax.management.NotificationEmitter emitter) {
                emitter.addNotificationListener((notification, handback) -> {
                    if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION
                            .equals(notification.getType())) {
                        return;
                    }
                    var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                            (javax.management.openmbean.CompositeData) notification.getUserData());
                    long used = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                            .filter(e -> heapPools.contains(e.getKey()))
                            .mapToLong(e -> e.getValue().getUsed()).sum();
                    peak.accumulateAndGet(used, Math::max);
                }, null, null);
            }
        }
    }

    private static int aggregateSize(int recordSize, int perAggregate) {
        var encoder = new io.purekinesis.aggregation.AggregateEncoder();
        for (int i = 0; i < perAggregate; i++) {
            encoder.add("pk-" + (i % 16), null, new byte[recordSize]);
        }
        return encoder.sizeBytes();
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    private static long gcTime() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    }

    // ------------------------------------------------------------------ failover

    /** Child JVM: one worker; prints {@code PROCESSED <shardId>} at its first record of each lease. */
    private static void failoverWorker(Map<String, String> opts) throws Exception {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        KinesisAsyncClient kinesis = kinesisClient(URI.create(opts.get("--kinesis-endpoint")));
        KinesisConsumer consumer = new KinesisConsumer(failoverConfig(opts.get("--app"), opts.get("--stream"),
                opts.get("--worker-id"), Long.parseLong(opts.get("--failover-ms")), kinesis,
                URI.create(opts.get("--dynamodb-endpoint"))), () -> new ShardProcessor() {

                    @Override
                    public void processRecords(ProcessRecordsInput input) {
                        if (!input.records().isEmpty()) {
                            if (seen.add(shard)) {
                                System.out.println("PROCESSED " + shard);
                                System.out.flush();
                            }
                            input.checkpointer().checkpoint();
                        }
                    }

                    @Override
                    public void leaseLost() {
                        seen.remove(shard);
                    }

                    @Override
                    public void shutdownRequested(Checkpointer checkpointer) {
                        super.shutdownRequested(checkpointer);
                        seen.remove(shard);
                    }
                });
        consumer.start();
        Thread.sleep(Long.MAX_VALUE); // until killed
    }

    /** A worker on the local endpoints with the given failover time, reading from TRIM_HORIZON (also the race's). */
    static ConsumerConfig failoverConfig(String app, String stream, String workerId, long failoverMillis,
            KinesisAsyncClient kinesis, URI dynamoEndpoint) {
        return ConsumerConfig.builder()
                .applicationName(app)
                .streamName(stream)
                .workerId(workerId)
                .failoverTime(Duration.ofMillis(failoverMillis))
                .initialPosition(InitialPosition.trimHorizon())
                .kinesisClient(kinesis)
                .dynamoDbEndpoint(dynamoEndpoint)
                .credentialsProvider(CREDENTIALS)
                .region(REGION)
                .build();
    }

    private static void failover(Map<String, String> opts) throws Exception {
        List<Long> times = new ArrayList<>();
        for (String t : opts.getOrDefault("--failover-times", "3,10").split(",")) {
            times.add(Math.round(Double.parseDouble(t.trim()) * 1000));
        }
        int shards = Integer.parseInt(opts.getOrDefault("--shards", "4"));
        int initialPerShard = Integer.parseInt(opts.getOrDefault("--initial-records-per-shard", "100"));
        long trickleMillis = Long.parseLong(opts.getOrDefault("--trickle-ms", "250"));
        int repeat = Integer.parseInt(opts.getOrDefault("--repeat", "1"));
        System.out.println("load average before run: " + loadAverage());
        try (LocalEndpoints endpoints = LocalEndpoints.start()) {
            KinesisAsyncClient kinesis = kinesisClient(endpoints.kinesis().endpoint());
            URI dynamo = endpoints.dynamoDb().endpoint();
            List<String[]> results = new ArrayList<>();
            for (int run = 0; run < repeat; run++) {
                for (long failoverMillis : times) {
                    System.out.println("load average before failover " + failoverMillis + " ms: " + loadAverage());
                    results.add(failoverOnce(kinesis, endpoints.kinesis().endpoint(), dynamo, shards,
                            initialPerShard, trickleMillis, failoverMillis));
                }
            }
            System.out.println();
            System.out.println("| failover time | kill to all leases held | kill to a record from every taken shard |"
                    + " taken shards | kill after settling |");
            System.out.println("| --- | --- | --- | --- | --- |");
            for (String[] r : results) {
                System.out.println("| " + String.join(" | ", r) + " |");
            }
            kinesis.close();
        }
    }

    private static String[] failoverOnce(KinesisAsyncClient kinesis, URI kinesisEndpoint, URI dynamo, int shardCount,
            int initialPerShard, long trickleMillis, long failoverMillis) throws Exception {
        String stream = Streams.uniqueStreamName("failover");
        String app = "failover-bench-" + System.currentTimeMillis();
        Streams.createStream(kinesis, stream, shardCount);
        List<Shard> shards = kinesis.listShards(b -> b.streamName(stream)).join().shards();
        for (int round = 0; round < initialPerShard; round += 100) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (Shard s : shards) {
                for (int i = round; i < Math.min(initialPerShard, round + 100); i++) {
                    entries.add(entry(s, i));
                }
            }
            kinesis.putRecords(b -> b.streamName(stream).records(entries)).join();
        }
        Thread trickle = new Thread(() -> {
            int i = 0;
            while (!Thread.currentThread().isInterrupted()) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (Shard s : shards) {
                    entries.add(entry(s, 1_000_000 + i));
                }
                i++;
                try {
                    kinesis.putRecords(b -> b.streamName(stream).records(entries)).join();
                    Thread.sleep(trickleMillis);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    System.err.println("trickle: " + e);
                }
            }
        }, "trickle");
        trickle.setDaemon(true);
        trickle.start();

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), ConsumerBenchmark.class.getName(),
                "--failover-worker", "true", "--kinesis-endpoint", kinesisEndpoint.toString(),
                "--dynamodb-endpoint", dynamo.toString(), "--stream", stream, "--app", app,
                "--worker-id", "victim", "--failover-ms", Long.toString(failoverMillis)));
        Process victim = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Set<String> victimProcessed = ConcurrentHashMap.newKeySet();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(victim.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("PROCESSED ")) {
                        victimProcessed.add(line.substring("PROCESSED ".length()));
                    }
                }
            } catch (IOException e) {
                // the process died
            }
        }, "victim-reader");
        reader.setDaemon(true);
        reader.start();
        awaitTrue(() -> victimProcessed.size() == shardCount, Duration.ofSeconds(120), "victim processing all shards");

        AtomicLong killNanos = new AtomicLong(Long.MAX_VALUE);
        Map<String, Long> firstAfterKill = new ConcurrentHashMap<>();
        Set<String> survivorProcessed = ConcurrentHashMap.newKeySet();
        KinesisAsyncClient survivorKinesis = kinesisClient(kinesisEndpoint);
        KinesisConsumer survivor = new KinesisConsumer(failoverConfig(app, stream, "survivor", failoverMillis,
                survivorKinesis, dynamo), () -> new ShardProcessor() {

                    @Override
                    public void processRecords(ProcessRecordsInput input) {
                        if (!input.records().isEmpty()) {
                            long now = System.nanoTime();
                            survivorProcessed.add(shard);
                            if (now > killNanos.get()) {
                                firstAfterKill.putIfAbsent(shard, now);
                            }
                            input.checkpointer().checkpoint();
                        }
                    }

                });
        survivor.start();
        int half = shardCount / 2;
        awaitTrue(() -> survivor.heldLeases().size() == half && survivorProcessed.containsAll(survivor.heldLeases()),
                Duration.ofSeconds(120), "survivor holding and processing " + half + " leases");
        // Steady state (both workers renewing and processing), then a random extra wait up to the failover time so
        // the kill falls at a random phase of the renewal and scan cycles (kill-to-takeover depends on that phase).
        long extra = java.util.concurrent.ThreadLocalRandom.current().nextLong(failoverMillis);
        Thread.sleep(2000 + extra);
        Set<String> taken = new HashSet<>();
        for (Shard s : shards) {
            if (!survivor.heldLeases().contains(s.shardId())) {
                taken.add(s.shardId());
            }
        }
        System.out.printf(Locale.ROOT, "failover %d ms: survivor holds %s, victim holds %s; killing the victim"
                + " (SIGKILL) %d ms after the survivor's takes settled%n", failoverMillis, survivor.heldLeases(), taken,
                2000 + extra);
        long kill = System.nanoTime();
        killNanos.set(kill);
        victim.destroyForcibly();
        victim.waitFor();
        long allLeases = 0;
        long deadline = kill + TimeUnit.SECONDS.toNanos(failoverMillis / 1000 * 4 + 60);
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            if (allLeases == 0 && survivor.heldLeases().containsAll(taken)) {
                allLeases = now;
            }
            if (allLeases != 0 && firstAfterKill.keySet().containsAll(taken)) {
                break;
            }
            Thread.sleep(5);
        }
        trickle.interrupt();
        String leasesSeconds = allLeases == 0 ? "not reached" : String.format(Locale.ROOT, "%.2f s",
                (allLeases - kill) / 1e9);
        String recordSeconds;
        if (firstAfterKill.keySet().containsAll(taken)) {
            long last = taken.stream().mapToLong(firstAfterKill::get).max().orElse(kill);
            recordSeconds = String.format(Locale.ROOT, "%.2f s", (last - kill) / 1e9);
        } else {
            recordSeconds = "not reached";
        }
        System.out.printf(Locale.ROOT, "failover %d ms: kill to all leases held %s, to a record from every taken"
                + " shard %s%n", failoverMillis, leasesSeconds, recordSeconds);
        survivor.close(Duration.ofSeconds(10));
        survivorKinesis.close();
        return new String[] {String.format(Locale.ROOT, "%.0f s", failoverMillis / 1000.0), leasesSeconds,
            recordSeconds, Integer.toString(taken.size()), (2000 + extra) + " ms"};
    }

    private static PutRecordsRequestEntry entry(Shard shard, int i) {
        return PutRecordsRequestEntry.builder()
                .partitionKey("k" + i)
                .explicitHashKey(shard.hashKeyRange().startingHashKey())
                .data(SdkBytes.fromByteArray(("record-" + i + "-" + "x".repeat(80)).getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    private interface Condition {
        boolean test() throws Exception;
    }

    private static void awaitTrue(Condition condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
