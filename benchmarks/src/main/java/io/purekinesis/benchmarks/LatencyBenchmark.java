package io.purekinesis.benchmarks;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.consumer.RetrievalMode;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * End-to-end latency of the consumer, polling or enhanced fan-out: from just before the {@code PutRecords} call that
 * writes a record to the {@code processRecords} call that gets it (both in this JVM, on {@link System#nanoTime()}),
 * p50/p90/p99/max, and the CPU of the consumer's threads (its own, and the SDK's I/O threads of the clients it builds)
 * per million user records. On the Kinesis emulator and DynamoDB Local (testkit); the emulator pushes fan-out events
 * about once a second and serves polling at its own speed, so the figures describe the emulator as much as the
 * consumer: compare modes on AWS before drawing conclusions. Prints figures, asserts nothing.
 *
 * <pre>
 * mvn -B -q -o -pl benchmarks -am package -DskipTests
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath-full.txt)" \
 *     io.purekinesis.benchmarks.LatencyBenchmark --mode fan-out --shards 2 --rate 200 --duration 30s
 * </pre>
 * Flags: {@code --mode polling|fan-out} (default polling), {@code --shards N} (2), {@code --rate} records/s (200),
 * {@code --duration} of the measured window (30s), {@code --warmup} (5s), {@code --record-size} bytes (100, at least 8).
 */
public final class LatencyBenchmark {

    private LatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("aws.cborEnabled", "false"); // the emulator's CBOR breaks on large records
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        RetrievalMode mode = "fan-out".equals(opts.getOrDefault("--mode", "polling")) ? RetrievalMode.FAN_OUT
                : RetrievalMode.POLLING;
        int shards = Integer.parseInt(opts.getOrDefault("--shards", "2"));
        int rate = Integer.parseInt(opts.getOrDefault("--rate", "200"));
        Duration duration = seconds(opts.getOrDefault("--duration", "30s"));
        Duration warmup = seconds(opts.getOrDefault("--warmup", "5s"));
        int size = Math.max(8, Integer.parseInt(opts.getOrDefault("--record-size", "100")));
        try (LocalEndpoints endpoints = LocalEndpoints.start()) {
            run(endpoints, mode, shards, rate, duration, warmup, size);
        }
        System.exit(0);
    }

    private static Duration seconds(String s) {
        return Duration.ofSeconds(Long.parseLong(s.endsWith("s") ? s.substring(0, s.length() - 1) : s));
    }

    private static void run(LocalEndpoints endpoints, RetrievalMode mode, int shards, int rate, Duration duration,
            Duration warmup, int size) throws Exception {
        String stream = Streams.uniqueStreamName("latency");
        Streams.createStream(endpoints.kinesisAsyncClient(), stream, shards);
        LatencyHistogram micros = new LatencyHistogram();
        LongAdder measured = new LongAdder();
        long[] measureFrom = {Long.MAX_VALUE};
        ConsumerConfig config = ConsumerConfig.builder().applicationName(Streams.uniqueStreamName("latency-app"))
                .streamName(stream).initialPosition(InitialPosition.trimHorizon()).retrievalMode(mode)
                .region(Region.US_EAST_1).kinesisEndpoint(endpoints.kinesis().endpoint())
                .dynamoDbEndpoint(endpoints.dynamoDb().endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .build();
        KinesisConsumer consumer = new KinesisConsumer(config, () -> new RecordProcessor() {
            @Override
            public void initialize(InitializationInput input) {
            }

            @Override
            public void processRecords(ProcessRecordsInput input) {
                long now = System.nanoTime();
                for (KinesisUserRecord r : input.records()) {
                    long put = ByteBuffer.wrap(r.dataBytes()).getLong();
                    if (put - measureFrom[0] >= 0) {
                        micros.record(TimeUnit.NANOSECONDS.toMicros(now - put));
                        measured.increment();
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
        });
        long started = System.nanoTime();
        consumer.start();
        while (consumer.activeShards().size() < shards) {
            Thread.sleep(50); // a harness, not a test: poll the consumer's state
        }
        System.out.printf(Locale.ROOT, "%s: %d shards active %d ms after start()%n", mode, shards,
                (System.nanoTime() - started) / 1_000_000);
        try (KinesisClient putter = endpoints.kinesis().syncClientBuilder().build()) {
            put(putter, stream, rate, warmup, size);
            measureFrom[0] = System.nanoTime();
            Map<Long, Long> cpuBefore = consumerThreadCpu();
            long sent = put(putter, stream, rate, duration, size);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (measured.sum() < sent && System.nanoTime() - deadline < 0) {
                Thread.sleep(20);
            }
            double cpu = cpuDelta(cpuBefore, consumerThreadCpu()) / 1e9;
            long n = measured.sum();
            System.out.printf(Locale.ROOT, "%s: %d of %d records measured over %d s at %d records/s, %d bytes"
                    + "%n  PutRecords -> processRecords latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
                    + "%n  consumer threads' CPU: %.2f s, %.2f s per million user records%n", mode, n, sent,
                    duration.toSeconds(), rate, size, micros.valueAtQuantile(0.50) / 1e3,
                    micros.valueAtQuantile(0.90) / 1e3, micros.valueAtQuantile(0.99) / 1e3, micros.max() / 1e3,
                    cpu, n == 0 ? 0 : cpu * 1e6 / n);
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
            if (mode == RetrievalMode.FAN_OUT) {
                KinesisConsumer.deregisterStreamConsumer(config);
            }
        }
    }

    /** Puts {@code rate} records a second for {@code time}, in PutRecords calls every 20 ms; returns the count. */
    private static long put(KinesisClient putter, String stream, int rate, Duration time, int size)
            throws InterruptedException {
        long start = System.nanoTime();
        long end = start + time.toNanos();
        long sent = 0;
        while (System.nanoTime() - end < 0) {
            long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            long now = System.nanoTime();
            for (long i = sent; i < due && entries.size() < 500; i++) {
                ByteBuffer data = ByteBuffer.allocate(size).putLong(now);
                entries.add(PutRecordsRequestEntry.builder().partitionKey(Long.toString(ThreadLocalRandom.current()
                        .nextLong())).data(SdkBytes.fromByteArray(data.array())).build());
            }
            if (!entries.isEmpty()) {
                putter.putRecords(b -> b.streamName(stream).records(entries));
                sent += entries.size();
            }
            Thread.sleep(20);
        }
        return sent;
    }

    /** CPU by thread id of the consumer's threads and the SDK's I/O threads (the putter's client is synchronous). */
    private static Map<Long, Long> consumerThreadCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            String name = t.getThreadName();
            if (name.startsWith("purekinesis-consumer") || name.startsWith("aws-java-sdk-NettyEventLoop")
                    || name.startsWith("sdk-async-response")) {
                long c = threads.getThreadCpuTime(t.getThreadId());
                if (c >= 0) {
                    cpu.put(t.getThreadId(), c);
                }
            }
        }
        return cpu;
    }

    private static long cpuDelta(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }
}
