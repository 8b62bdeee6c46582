package io.purekinesis.benchmarks;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.testkit.FaultInjector;
import io.purekinesis.testkit.FaultInjector.Fault;
import io.purekinesis.testkit.FaultInjector.When;
import io.purekinesis.testkit.JvmProcess;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Soak (not CI): the chaos workload for N minutes under a fault mix, printing the heap after GC of the producer
 * (this JVM) and of each consumer worker (one child JVM each, started with testkit's {@link JvmProcess}) over time,
 * and a reconciliation at the end. The heap is measured after an explicit {@code System.gc()}, every
 * {@code --sample-seconds}; once warm it must not grow.
 *
 * <p>Like the chaos suite (system-tests): keys {@code k000..} round-robin, payload {@code key=<k>;seq=<n>;...} with a
 * per-key sequence, aggregation on, strict ordering, TTL 90 s; workers read from TRIM_HORIZON and checkpoint every
 * batch. Faults (seeded FaultInjector, no SDK retries): on the producer per-record throttling and internal failures,
 * whole-call throttling, 503, connection resets, latency; on the workers' Kinesis client throttling, 503, resets,
 * expired iterators, latency; on their DynamoDB client throttling. The reconciliation checks that every acknowledged
 * record was processed, nothing was dead-lettered, per-key order held; it counts duplicates.
 *
 * <p>Options: {@code --minutes 5} {@code --rate 300} (records/s) {@code --workers 2} {@code --shards 4}
 * {@code --keys 200} {@code --record-size 200} {@code --sample-seconds 30}. Run with {@code benchmarks/run-soak.sh}.
 */
public final class SoakBenchmark {

    private static final String SEEN = "SEEN ";
    private static final String HEAP = "HEAP ";
    private static final Region REGION = Region.US_EAST_1;
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy"));

    private SoakBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        if (opts.containsKey("--worker")) {
            worker(opts);
        } else {
            soak(opts);
        }
    }

    // ------------------------------------------------------------------ orchestrator and producer

    private static void soak(Map<String, String> opts) throws Exception {
        Duration length = Duration.ofSeconds(Math.round(Double.parseDouble(opts.getOrDefault("--minutes", "5")) * 60));
        int rate = Integer.parseInt(opts.getOrDefault("--rate", "300"));
        int workerCount = Integer.parseInt(opts.getOrDefault("--workers", "2"));
        int shards = Integer.parseInt(opts.getOrDefault("--shards", "4"));
        int keys = Integer.parseInt(opts.getOrDefault("--keys", "200"));
        int recordSize = Integer.parseInt(opts.getOrDefault("--record-size", "200"));
        long sampleMillis = Long.parseLong(opts.getOrDefault("--sample-seconds", "30")) * 1000;
        System.out.printf(Locale.ROOT, "soak: %s, %d records/s, %d workers, %d shards, %d keys, %d-byte records%n",
                length, rate, workerCount, shards, keys, recordSize);

        FaultInjector producerFaults = FaultInjector.builder().seed(11)
                .failRecords(Fault.RECORD_THROTTLED, 0.2, When.rate(0.3))
                .failRecords(Fault.RECORD_INTERNAL_FAILURE, 0.1, When.rate(0.1))
                .fail(Fault.THROTTLING, "PutRecords", When.rate(0.05))
                .fail(Fault.SERVICE_UNAVAILABLE, FaultInjector.ANY_OPERATION, When.rate(0.02))
                .fail(Fault.CONNECTION_RESET, FaultInjector.ANY_OPERATION, When.rate(0.02))
                .delay(FaultInjector.ANY_OPERATION, Duration.ofMillis(100), When.rate(0.05))
                .build();
        // Per key, bit n = record n: the harness's own memory stays flat, so the heap figures are the producer's.
        SeqSets acknowledged = new SeqSets(keys);
        SeqSets processed = new SeqSets(keys);
        LongAdder deadLettered = new LongAdder();
        LongAdder failed = new LongAdder();
        long[] maxSeqPerKey = new long[keys];
        java.util.Arrays.fill(maxSeqPerKey, -1);
        LongAdder deliveries = new LongAdder();
        LongAdder duplicates = new LongAdder();
        LongAdder orderViolations = new LongAdder();
        Map<String, String> heaps = new ConcurrentHashMap<>();

        try (LocalEndpoints endpoints = LocalEndpoints.start()) {
            String stream = Streams.uniqueStreamName("soak");
            String app = "soak-" + System.currentTimeMillis();
            Streams.createStream(endpoints.kinesisAsyncClient(), stream, shards);
            KinesisAsyncClient producerKinesis = endpoints.kinesisClientBuilder()
                    .overrideConfiguration(c -> c.addExecutionInterceptor(producerFaults)
                            .retryStrategy(AwsRetryStrategy.doNotRetry()))
                    .build();
            KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder()
                    .kinesisClient(producerKinesis)
                    .strictOrdering(true)
                    .recordTtl(Duration.ofSeconds(90))
                    .deadLetterHandler(r -> deadLettered.increment())
                    .producerName("soak")
                    .build());

            List<JvmProcess> workers = new ArrayList<>();
            for (int i = 1; i <= workerCount; i++) {
                String id = "w" + i;
                workers.add(JvmProcess.builder(SoakBenchmark.class)
                        .name("soak-" + id)
                        .jvmOptions("-Xmx256m", "-Daws.cborEnabled=false",
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                        .args("--worker", id, "--kinesis", endpoints.kinesis().endpoint().toString(),
                                "--dynamodb", endpoints.dynamoDb().endpoint().toString(), "--stream", stream,
                                "--app", app, "--sample-seconds", Long.toString(sampleMillis / 1000))
                        .logFile(Path.of("target", "soak-" + id + ".log"))
                        .readyLine("READY"::equals)
                        .onLine(line -> {
                            if (line.startsWith(HEAP)) {
                                heaps.put(id, line.substring(HEAP.length()));
                            } else if (line.startsWith(SEEN)) {
                                String[] f = line.substring(SEEN.length()).split(" ");
                                int key = Integer.parseInt(f[0].substring(1));
                                int seq = Integer.parseInt(f[1]);
                                deliveries.increment();
                                synchronized (maxSeqPerKey) {
                                    if (!processed.add(key, seq)) {
                                        duplicates.increment();
                                    } else if (seq < maxSeqPerKey[key]) {
                                        orderViolations.increment();
                                    } else {
                                        maxSeqPerKey[key] = seq;
                                    }
                                }
                            }
                        })
                        .start());
            }

            long[] nextSeq = new long[keys];
            AtomicLong added = new AtomicLong();
            long start = System.nanoTime();
            long end = start + length.toNanos();
            long nextSample = start;
            System.out.println("| t (s) | added | acknowledged | processed | producer heap after GC (MiB) | "
                    + "workers' heap after GC (MiB) |");
            System.out.println("| --- | --- | --- | --- | --- | --- |");
            for (long n = 0; System.nanoTime() < end; n++) {
                int k = (int) (n % keys);
                String key = String.format(Locale.ROOT, "k%03d", k);
                int seq = (int) nextSeq[k]++;
                added.incrementAndGet();
                producer.add(stream, key, payload(key, seq, recordSize)).whenComplete((r, e) -> {
                    if (e == null) {
                        acknowledged.add(k, seq);
                    } else {
                        failed.increment();
                    }
                });
                long due = start + (n + 1) * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (System.nanoTime() >= nextSample) {
                    nextSample += sampleMillis * 1_000_000L;
                    System.out.printf(Locale.ROOT, "| %d | %d | %d | %d | %.1f | %s |%n",
                            (System.nanoTime() - start) / 1_000_000_000L, added.get(), acknowledged.size(),
                            processed.size(), heapAfterGcMiB(), new java.util.TreeMap<>(heaps));
                }
            }
            List<FailedRecord> undelivered = producer.close(Duration.ofSeconds(120));
            long waitStart = System.nanoTime();
            while (System.nanoTime() - waitStart < TimeUnit.SECONDS.toNanos(180)
                    && acknowledged.missingFrom(processed) > 0) {
                Thread.sleep(200);
            }
            System.out.printf(Locale.ROOT, "| %d (end) | %d | %d | %d | %.1f | %s |%n",
                    (System.nanoTime() - start) / 1_000_000_000L, added.get(), acknowledged.size(),
                    processed.size(), heapAfterGcMiB(), new java.util.TreeMap<>(heaps));
            for (JvmProcess w : workers) {
                w.stop(Duration.ofSeconds(60));
            }
            long missing = acknowledged.missingFrom(processed);
            System.out.printf(Locale.ROOT, "RECONCILIATION soak: added=%d acknowledged=%d failed=%d deadLettered=%d"
                            + " undeliveredAtClose=%d processed=%d deliveries=%d duplicates=%d missing=%d"
                            + " orderViolations=%d%n", added.get(), acknowledged.size(), failed.sum(),
                    deadLettered.sum(), undelivered.size(), processed.size(), deliveries.sum(), duplicates.sum(),
                    missing, orderViolations.sum());
            System.out.println("FAULTS soak producer: " + nonZero(producerFaults.injectedCounts()));
            System.out.println("FAULTS soak workers (from their logs): see target/soak-w*.log");
            producerKinesis.close();
            if (missing > 0 || orderViolations.sum() > 0 || deadLettered.sum() > 0) {
                System.out.println("SOAK FAILED");
                System.exit(1);
            }
        }
    }

    // ------------------------------------------------------------------ child JVM: one consumer worker

    private static void worker(Map<String, String> opts) throws Exception {
        String id = opts.get("--worker");
        FaultInjector kinesisFaults = FaultInjector.builder().seed(id.hashCode())
                .fail(Fault.THROTTLING, "GetRecords", When.rate(0.03))
                .fail(Fault.SERVICE_UNAVAILABLE, FaultInjector.ANY_OPERATION, When.rate(0.02))
                .fail(Fault.CONNECTION_RESET, FaultInjector.ANY_OPERATION, When.rate(0.02))
                .fail(Fault.EXPIRED_ITERATOR, "GetRecords", When.rate(0.03))
                .delay(FaultInjector.ANY_OPERATION, Duration.ofMillis(100), When.rate(0.05))
                .build();
        FaultInjector dynamoDbFaults = FaultInjector.builder().seed(id.hashCode() + 1)
                .fail(Fault.THROTTLING, FaultInjector.ANY_OPERATION, When.rate(0.03))
                .build();
        KinesisAsyncClient kinesis = KinesisAsyncClient.builder()
                .endpointOverride(URI.create(opts.get("--kinesis"))).region(REGION).credentialsProvider(CREDENTIALS)
                .overrideConfiguration(c -> c.addExecutionInterceptor(kinesisFaults)
                        .retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        DynamoDbAsyncClient dynamoDb = DynamoDbAsyncClient.builder()
                .endpointOverride(URI.create(opts.get("--dynamodb"))).region(REGION).credentialsProvider(CREDENTIALS)
                .overrideConfiguration(c -> c.addExecutionInterceptor(dynamoDbFaults)
                        .retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
        KinesisConsumer consumer = new KinesisConsumer(ConsumerConfig.builder()
                .applicationName(opts.get("--app"))
                .streamName(opts.get("--stream"))
                .workerId(id)
                .initialPosition(InitialPosition.trimHorizon())
                .failoverTime(Duration.ofSeconds(6))
                .idleTimeBetweenReads(Duration.ofMillis(250))
                .kinesisClient(kinesis)
                .dynamoDbClient(dynamoDb)
                .build(), PrintingProcessor::new);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            consumer.close(Duration.ofSeconds(30));
            System.out.println("FAULTS " + id + " kinesis " + nonZero(kinesisFaults.injectedCounts()) + " dynamodb "
                    + nonZero(dynamoDbFaults.injectedCounts()));
            System.out.flush();
        }));
        consumer.start();
        System.out.println("READY");
        System.out.flush();
        long sampleMillis = Long.parseLong(opts.getOrDefault("--sample-seconds", "30")) * 1000;
        while (true) {
            Thread.sleep(Math.max(1000, sampleMillis - 2000)); // a little ahead of the orchestrator's samples
            synchronized (System.out) {
                System.out.printf(Locale.ROOT, "%s%.1f%n", HEAP, heapAfterGcMiB());
                System.out.flush();
            }
        }
    }

    /** Prints {@code SEEN <key> <seq>} per record, flushes, then checkpoints. */
    private static final class PrintingProcessor implements RecordProcessor {

        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            if (input.records().isEmpty()) {
                return;
            }
            StringBuilder lines = new StringBuilder(input.records().size() * 20);
            for (KinesisUserRecord r : input.records()) {
                String head = new String(r.dataBytes(), 0, Math.min(r.dataLength(), 64), StandardCharsets.UTF_8);
                int semi = head.indexOf(';');
                int semi2 = head.indexOf(';', semi + 1);
                lines.append(SEEN).append(head, 4, semi).append(' ').append(head, semi + 5, semi2).append('\n');
            }
            synchronized (System.out) {
                System.out.print(lines);
                System.out.flush();
            }
            checkpoint(input.checkpointer());
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

        private static void checkpoint(Checkpointer checkpointer) {
            try {
                checkpointer.checkpoint();
            } catch (KinesisConsumerException e) {
                // Not checkpointed: the next owner gets these records again (counted as duplicates).
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Sets of per-key sequence numbers, one bit each. Thread-safe. */
    private static final class SeqSets {
        private final java.util.BitSet[] bits;
        private long size;

        SeqSets(int keys) {
            bits = new java.util.BitSet[keys];
            for (int i = 0; i < keys; i++) {
                bits[i] = new java.util.BitSet();
            }
        }

        /** False if it was there already. */
        synchronized boolean add(int key, int seq) {
            if (bits[key].get(seq)) {
                return false;
            }
            bits[key].set(seq);
            size++;
            return true;
        }

        synchronized long size() {
            return size;
        }

        /** How many of these are not in {@code other}. */
        long missingFrom(SeqSets other) {
            long n = 0;
            for (int i = 0; i < bits.length; i++) {
                java.util.BitSet mine;
                synchronized (this) {
                    mine = (java.util.BitSet) bits[i].clone();
                }
                synchronized (other) {
                    mine.andNot(other.bits[i]);
                }
                n += mine.cardinality();
            }
            return n;
        }
    }

    private static byte[] payload(String key, long seq, int size) {
        StringBuilder s = new StringBuilder(size).append("key=").append(key).append(";seq=").append(seq).append(';');
        while (s.length() < size) {
            s.append('.');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Heap in use right after a full collection, in MiB. */
    private static double heapAfterGcMiB() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    }

    private static String nonZero(Map<Fault, Long> counts) {
        StringBuilder s = new StringBuilder();
        counts.forEach((f, n) -> {
            if (n > 0) {
                s.append(s.length() == 0 ? "" : " ").append(f).append('=').append(n);
            }
        });
        return s.toString();
    }
}
