package io.purekinesis.benchmarks;

import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * Producer throughput, CPU, latency and memory, measured against {@link PutRecordsSink} (a fast local Kinesis
 * stand-in that the harness starts in a separate JVM, so this JVM's CPU time is the producer's, plus the adding
 * threads' loop and the per-record callbacks). Not run by CI;
 * prints its figures, asserts nothing about time.
 *
 * <p>Run (from the repository root, after the producer is installed in the local Maven repository):
 * <pre>
 * mvn -B -o -pl benchmarks package -DskipTests
 * benchmarks/run.sh --records 5000000 --aggregation true
 * benchmarks/run.sh --records 5000000 --aggregation false
 * JAVA_OPTS=-Xmx512m benchmarks/run.sh --outstanding-test
 * </pre>
 * {@code run.sh} runs {@code java ${JAVA_OPTS:--Xms1g -Xmx1g} -cp
 * benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) io.purekinesis.benchmarks.ProducerBenchmark "$@"}
 * (the package phase writes {@code classpath.txt}). See {@code benchmarks/README.md} and {@code BENCHMARKS.md}.
 *
 * <p>Options (defaults in brackets): {@code --records N} [5,000,000; 1,000,000 with --outstanding-test],
 * {@code --record-size B} [100], {@code --keys K} [1,000], {@code --shards S} [4], {@code --threads T} adding
 * threads [2], {@code --rate R} offered user records/s over all threads, paced [0: as fast as possible],
 * {@code --sink-fail-fraction F} entries the sink fails with ProvisionedThroughputExceededException [0],
 * {@code --sink-shard-limits true|false} the sink enforces 1,000 entries/s and 1 MiB/s per shard [false],
 * {@code --aggregation true|false} [true], {@code --rate-limit P} percent of the per-shard limit
 * [10,000, the producer's maximum: the sink does not throttle], {@code --max-outstanding-records N} [producer
 * default], {@code --max-outstanding-bytes N} [producer default], {@code --max-buffered-ms M} [producer default],
 * {@code --max-concurrent-requests N} [producer default], {@code --warmup N} [500,000; 200,000 with
 * --outstanding-test], {@code --endpoint URL} [none: start a sink; with a URL, use that sink or endpoint; stats are
 * read from it if it is a sink], {@code --region R} [us-east-1], {@code --protocol cbor|json} the encoding the SDK's
 * Kinesis client speaks [cbor, its default against AWS], {@code --credentials static|default} [static: dummy keys, enough for a sink; default: the SDK's default provider chain, for a real endpoint], {@code --stream NAME} [bench], {@code --sink-count entries|records|decode}
 * [records], {@code --sink-jvm-opts "..."} [-Xmx1g -XX:+UseParallelGC], {@code --fresh-data true|false} a new copy
 * of the payload per record, as an application would have, instead of one shared array [false; true with
 * --outstanding-test], {@code --track-futures true|false} attach a callback to every future (latency, success
 * count) [true; false with --outstanding-test, so the heap holds only what the producer keeps; failures are then
 * counted by the dead-letter handler], {@code --class-histogram N} print the top N classes of the heap at the
 * baseline and with all records outstanding [0], {@code --outstanding-test}.
 *
 * <p>{@code --outstanding-test}: after the warm-up, pauses the sink (it reads PutRecords requests but does not
 * answer), adds the records as fast as possible, and prints the heap used after a GC with all of them outstanding
 * (as the memory bean reports it a moment after the GC, and as the collector left it);
 * then resumes the sink and checks that every record arrived once.
 *
 * <p>The SDK speaks CBOR, its default for Kinesis, unless {@code --protocol json} ({@code aws.cborEnabled=false}); the
 * sink answers either. With JSON the SDK Base64-encodes every aggregate, CPU that users on AWS do not spend. Its Netty
 * client uses HTTP/1.1, since the sink (the JDK's HTTP server) has no HTTP/2.
 */
public final class ProducerBenchmark {

    private ProducerBenchmark() {
    }

    static final class Options {
        long records = -1;
        int recordSize = 100;
        int keys = 1_000;
        int shards = 4;
        int threads = 2;
        /** Offered user records per second over all adding threads; 0 = as fast as the producer takes them. */
        long rate;
        /** Shortest sleep of an early paced thread, in microseconds ({@link Pacer}); 0 = until its next record. */
        long pacerMinSleepMicros;
        /** Fraction of PutRecords entries the sink fails with ProvisionedThroughputExceededException. */
        double sinkFailFraction;
        /** Whether the sink enforces 1,000 entries/s and 1 MiB/s per shard. */
        boolean sinkShardLimits;
        boolean aggregation = true;
        int rateLimit = 10_000;
        Integer maxOutstandingRecords;
        Long maxOutstandingBytes;
        Long maxBufferedMillis;
        Integer maxConcurrentRequests;
        long warmup = -1;
        URI endpoint;
        String stream = "bench";
        String region = "us-east-1";
        /** What the SDK's Kinesis client speaks: CBOR, its default, or JSON. */
        WireProtocol protocol = WireProtocol.CBOR;
        boolean defaultCredentials;
        PutRecordsSink.CountMode sinkCount = PutRecordsSink.CountMode.RECORDS;
        List<String> sinkJvmOptions = List.of("-Xmx1g", "-XX:+UseParallelGC");
        boolean outstandingTest;
        Boolean freshData;
        Boolean trackFutures;
        int histogramLines;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--outstanding-test")) {
                    o.outstandingTest = true;
                    continue;
                }
                if (arg.equals("--help") || arg.equals("-h")) {
                    System.out.println("see the Javadoc of " + ProducerBenchmark.class.getName()
                            + " or benchmarks/README.md");
                    System.exit(0);
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + arg);
                }
                String v = args[++i];
                switch (arg) {
                    case "--records" -> o.records = Long.parseLong(v.replace("_", ""));
                    case "--record-size" -> o.recordSize = Integer.parseInt(v);
                    case "--keys" -> o.keys = Integer.parseInt(v);
                    case "--shards" -> o.shards = Integer.parseInt(v);
                    case "--threads" -> o.threads = Integer.parseInt(v);
                    case "--rate" -> o.rate = Long.parseLong(v.replace("_", ""));
                    case "--pacer-min-sleep-us" -> o.pacerMinSleepMicros = Long.parseLong(v);
                    case "--sink-fail-fraction" -> o.sinkFailFraction = Double.parseDouble(v);
                    case "--sink-shard-limits" -> o.sinkShardLimits = Boolean.parseBoolean(v);
                    case "--aggregation" -> o.aggregation = Boolean.parseBoolean(v);
                    case "--rate-limit" -> o.rateLimit = Integer.parseInt(v);
                    case "--max-outstanding-records" -> o.maxOutstandingRecords = Integer.parseInt(v);
                    case "--max-outstanding-bytes" -> o.maxOutstandingBytes = Long.parseLong(v);
                    case "--max-buffered-ms" -> o.maxBufferedMillis = Long.parseLong(v);
                    case "--max-concurrent-requests" -> o.maxConcurrentRequests = Integer.parseInt(v);
                    case "--warmup" -> o.warmup = Long.parseLong(v.replace("_", ""));
                    case "--endpoint" -> o.endpoint = URI.create(v);
                    case "--stream" -> o.stream = v;
                    case "--region" -> o.region = v;
                    case "--protocol" -> o.protocol = WireProtocol.parse(v);
                    case "--credentials" -> {
                        if (!v.equals("static") && !v.equals("default")) {
                            throw new IllegalArgumentException("--credentials must be static or default, was " + v);
                        }
                        o.defaultCredentials = v.equals("default");
                    }
                    case "--fresh-data" -> o.freshData = Boolean.parseBoolean(v);
                    case "--track-futures" -> o.trackFutures = Boolean.parseBoolean(v);
                    case "--class-histogram" -> o.histogramLines = Integer.parseInt(v);
                    case "--sink-count" -> o.sinkCount = PutRecordsSink.CountMode.valueOf(v.toUpperCase(Locale.ROOT));
                    case "--sink-jvm-opts" -> o.sinkJvmOptions = v.isBlank() ? List.of()
                            : Arrays.asList(v.trim().split("\\s+"));
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (o.records < 0) {
                o.records = o.outstandingTest ? 1_000_000 : 5_000_000;
            }
            if (o.freshData == null) {
                o.freshData = o.outstandingTest;
            }
            if (o.trackFutures == null) {
                o.trackFutures = !o.outstandingTest;
            }
            if (o.warmup < 0) {
                o.warmup = o.outstandingTest ? 200_000 : 500_000;
            }
            if (o.threads < 1 || o.keys < 1 || o.recordSize < 0 || o.shards < 1) {
                throw new IllegalArgumentException("threads, keys and shards must be at least 1, record-size >= 0");
            }
            return o;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        printMachine(o);
        SinkControl sink = o.endpoint != null ? SinkControl.attach(o.endpoint)
                : SinkControl.startProcess(o.shards, o.sinkCount, o.sinkJvmOptions);
        try {
            System.out.printf("sink: %s%s; protocol %s%n", sink.endpoint(),
                    sink.pid() > 0 ? " (separate JVM, pid " + sink.pid() + ", options " + o.sinkJvmOptions + ")"
                            : " (external)", o.protocol.name().toLowerCase(Locale.ROOT));
            if (o.sinkFailFraction > 0 || o.sinkShardLimits) {
                sink.setThrottling(o.sinkFailFraction, o.sinkShardLimits);
                System.out.printf("sink throttling: %.1f%% of entries fail at random%s%n", o.sinkFailFraction * 100,
                        o.sinkShardLimits ? ", and 1,000 entries/s and 1 MiB/s per shard are enforced" : "");
            }
            if (o.outstandingTest) {
                outstandingTest(o, sink);
            } else {
                throughput(o, sink);
            }
        } finally {
            sink.close();
        }
    }

    // ---- throughput ----

    private static void throughput(Options o, SinkControl sink) throws Exception {
        KinesisAsyncClient client = client(o, sink.endpoint(), Duration.ofSeconds(30));
        Load load = new Load(o);
        ProducerConfig config = config(o, client, load).build();
        System.out.println("producer: " + config);
        KinesisProducer producer = KinesisProducer.create(config);
        try {
            long sinkRecordsAtStart = sinkUserRecords(sink);
            if (o.warmup > 0) {
                System.out.printf("warm-up: %,d records...%n", o.warmup);
                long t0 = System.nanoTime();
                load.run(producer, o.warmup);
                producer.flushSync();
                System.out.printf("warm-up done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            }
            load.reset();
            Snapshot before = Snapshot.take(sink);
            HeapPoller heap = HeapPoller.start();
            long t0 = System.nanoTime();
            load.run(producer, o.records);
            long added = System.nanoTime();
            producer.flushSync();
            long t1 = System.nanoTime();
            heap.stop();
            Snapshot after = Snapshot.take(sink);
            report(o, load, before, after, t0, added, t1, heap);
            check(o, load, after.sink, sinkRecordsAtStart, o.warmup + o.records, producer.outstandingRecords());
        } finally {
            producer.close(Duration.ofSeconds(30));
            client.close();
        }
    }

    private static void report(Options o, Load load, Snapshot a, Snapshot b, long t0, long added, long t1,
            HeapPoller heap) {
        double seconds = (t1 - t0) / 1e9;
        double addSeconds = (added - t0) / 1e9;
        long n = o.records;
        double cpu = (b.cpuNanos - a.cpuNanos) / 1e9;
        System.out.println();
        System.out.println("=== results (measured window: first add to last completion, after warm-up) ===");
        System.out.printf("records                 %,d x %d B, %d keys, %d shards, %d threads, aggregation %s, "
                + "rate limit %d%%, %s data array, protocol %s%n", n, o.recordSize, o.keys, o.shards, o.threads,
                o.aggregation, o.rateLimit, o.freshData ? "a fresh" : "one shared",
                o.protocol.name().toLowerCase(Locale.ROOT));
        System.out.printf("elapsed                 %.2f s (adding took %.2f s); load average now %s%n", seconds,
                addSeconds, loadAverage());
        System.out.printf("throughput              %,.0f user records/s%s%n", n / seconds,
                o.rate > 0 ? String.format(Locale.ROOT, " (offered: %,d/s, paced)", o.rate) : "");
        System.out.printf("data                    %.1f MB/s (user data, 10^6 B)%n",
                n * (double) o.recordSize / seconds / 1e6);
        System.out.printf("producer JVM CPU        %.2f s = %.2f cores; %.2f CPU-s per million user records%n",
                cpu, cpu / seconds, cpu / (n / 1e6));
        if (a.sink != null && a.sink.cpuNanos() >= 0) {
            double sinkCpu = (b.sink.cpuNanos() - a.sink.cpuNanos()) / 1e9;
            System.out.printf("sink JVM CPU            %.2f s = %.2f cores (same 2 cores)%n", sinkCpu,
                    sinkCpu / seconds);
        }
        if (a.machineBusyNanos >= 0 && b.machineBusyNanos >= 0) {
            double busy = (b.machineBusyNanos - a.machineBusyNanos) / 1e9;
            double sinkCpu = a.sink != null && a.sink.cpuNanos() >= 0
                    ? (b.sink.cpuNanos() - a.sink.cpuNanos()) / 1e9 : 0;
            System.out.printf("machine CPU             %.2f cores busy in all; other processes (not producer, not sink) "
                    + "%.2f cores%n", busy / seconds, Math.max(0, busy - cpu - sinkCpu) / seconds);
        }
        List<java.util.Map.Entry<String, Long>> busiest = new ArrayList<>();
        long threadSum = 0;
        for (java.util.Map.Entry<String, Long> e : b.threadCpu.entrySet()) {
            long d = e.getValue() - a.threadCpu.getOrDefault(e.getKey(), 0L);
            threadSum += d;
            busiest.add(java.util.Map.entry(e.getKey().replaceAll("#\\d+$", ""), d));
        }
        busiest.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
        StringBuilder top = new StringBuilder();
        for (int i = 0; i < Math.min(6, busiest.size()); i++) {
            top.append(String.format(Locale.ROOT, "%s%s %.2f s (%.0f%%)", i == 0 ? "" : ", ",
                    busiest.get(i).getKey(), busiest.get(i).getValue() / 1e9,
                    busiest.get(i).getValue() / 1e9 / seconds * 100));
        }
        long adders = load.adderCpuNanos.sum();
        System.out.printf("CPU by thread           adding threads (%d, in add) %.2f s (%.0f%% of one core each); %s; "
                        + "JVM-internal (GC, JIT) %.2f s%n", o.threads, adders / 1e9, adders / 1e9 / seconds * 100
                        / o.threads, top, Math.max(0, (b.cpuNanos - a.cpuNanos) - threadSum - adders) / 1e9);
        LatencyHistogram h = load.latency;
        if (o.trackFutures) {
            System.out.printf("latency add->complete   p50 %s  p99 %s  p99.9 %s  max %s  (%,d samples)%n",
                    ms(h.valueAtQuantile(0.5)), ms(h.valueAtQuantile(0.99)), ms(h.valueAtQuantile(0.999)),
                    ms(h.max()), h.count());
        } else {
            System.out.println("latency add->complete   not measured (--track-futures false)");
        }
        System.out.printf("heap used, peak         %.1f MiB (polled every 50 ms; max heap %.0f MiB)%n",
                heap.peak() / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
        System.out.printf("GC                      %d collections, %d ms%n", b.gcCount - a.gcCount,
                b.gcMillis - a.gcMillis);
        if (a.sink != null) {
            PutRecordsSink.Stats s0 = a.sink;
            PutRecordsSink.Stats s1 = b.sink;
            long entries = s1.entries() - s0.entries();
            long calls = s1.putRecordsCalls() - s0.putRecordsCalls();
            System.out.printf("sink                    %,d PutRecords calls, %,d entries (%.1f per call), "
                            + "%.1f MB entry data, %s user records%n", calls, entries,
                    calls == 0 ? 0.0 : entries / (double) calls, (s1.dataBytes() - s0.dataBytes()) / 1e6,
                    s1.userRecords() < 0 ? "(not counted)" : String.format("%,d", s1.userRecords() - s0.userRecords()));
            long throttled = s1.throttledEntries() - s0.throttledEntries();
            System.out.printf("per million user records %,.0f PutRecords calls, %,.0f Kinesis records stored, "
                    + "%,.0f entries throttled%n", calls * 1e6 / n, entries * 1e6 / n, throttled * 1e6 / n);
            System.out.printf("sink entries per shard  %s%n", Arrays.toString(diff(s1.entriesPerShard(),
                    s0.entriesPerShard())));
        }
    }

    /** User records the sink has counted so far; -1 when unknown (not a sink, or it counts entries only). */
    private static long sinkUserRecords(SinkControl sink) {
        try {
            return sink.stats().userRecords();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void check(Options o, Load load, PutRecordsSink.Stats total, long sinkRecordsAtStart,
            long expected, long outstandingAfterFlush) {
        long failed = load.deadLettered.sum();
        long ok;
        if (o.trackFutures) {
            ok = load.succeeded.sum();
            System.out.printf("check                   futures: %,d succeeded, %,d failed; %,d dead-lettered; "
                    + "%,d added (all phases)%n", ok, load.failed.sum(), failed, load.addedTotal.get());
            failed = Math.max(failed, load.failed.sum());
        } else {
            ok = load.addedTotal.get() - failed - outstandingAfterFlush;
            System.out.printf("check                   futures not tracked: %,d added, %,d dead-lettered, %,d still "
                    + "outstanding after flushSync%n", load.addedTotal.get(), failed, outstandingAfterFlush);
        }
        if (total != null && total.userRecords() >= 0 && sinkRecordsAtStart >= 0) {
            long received = total.userRecords() - sinkRecordsAtStart;
            boolean match = received == expected && ok == expected && failed == 0;
            System.out.printf("check                   sink received %,d user records, expected %,d: %s%n",
                    received, expected, match ? "OK, each record acknowledged once"
                            : "MISMATCH (duplicates from retries, or losses)");
        }
    }

    // ---- outstanding ----

    private static void outstandingTest(Options o, SinkControl sink) throws Exception {
        KinesisAsyncClient client = client(o, sink.endpoint(), Duration.ofMinutes(10));
        int maxRecords = o.maxOutstandingRecords != null ? o.maxOutstandingRecords
                : (int) Math.max(ProducerConfig.DEFAULT_MAX_OUTSTANDING_RECORDS, o.records);
        Load load = new Load(o);
        ProducerConfig config = config(o, client, load).maxOutstandingRecords(maxRecords)
                .requestTimeout(Duration.ofMinutes(10)).recordTtl(Duration.ofMinutes(30)).build();
        System.out.println("producer: " + config);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        KinesisProducer producer = KinesisProducer.create(config);
        try {
            long sinkRecordsAtStart = sinkUserRecords(sink);
            if (o.warmup > 0) {
                System.out.printf("warm-up: %,d records...%n", o.warmup);
                load.run(producer, o.warmup);
                producer.flushSync();
            }
            long baseline = usedAfterGc(memory);
            long baselineCollected = heapAfterLastGc();
            String baselineHistogram = o.histogramLines > 0 ? classHistogram(o.histogramLines) : null;
            sink.setPaused(true);
            HeapPoller heap = HeapPoller.start();
            long t0 = System.nanoTime();
            load.run(producer, o.records);
            long t1 = System.nanoTime();
            Thread.sleep(500); // let the sender put what it will into (paused) calls
            long outstanding = producer.outstandingRecords();
            heap.stop();
            long live = usedAfterGc(memory);
            long liveCollected = heapAfterLastGc();
            PutRecordsSink.Stats atPause = sink.stats();
            System.out.println();
            System.out.println("=== outstanding test ===");
            System.out.printf("added                   %,d x %d B records in %.2f s (%,.0f/s), sink paused; %s data "
                    + "array per record, futures %s%n", o.records, o.recordSize, (t1 - t0) / 1e9,
                    o.records / ((t1 - t0) / 1e9), o.freshData ? "a fresh" : "one shared",
                    o.trackFutures ? "tracked (a callback each)" : "dropped (failures counted by the dead-letter handler)");
            System.out.printf("outstanding             %,d records, %.1f MiB (data + keys)%n", outstanding,
                    producer.outstandingBytes() / 1048576.0);
            System.out.printf("sink while paused       %,d PutRecords calls held, %,d entries received in all%n",
                    atPause.pausedRequests(), atPause.entries());
            System.out.printf("heap used, baseline     %.1f MiB (after GC, before adding)%n", baseline / 1048576.0);
            System.out.printf("heap used, peak         %.1f MiB (polled every 50 ms while adding; max heap %.0f MiB)%n",
                    heap.peak() / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0);
            System.out.printf("heap used, live         %.1f MiB after GC with %,d outstanding (%.0f B per record "
                    + "above baseline)%n", live / 1048576.0, outstanding,
                    outstanding == 0 ? 0.0 : (live - baseline) / (double) outstanding);
            System.out.printf("heap live, by the GC    %.1f MiB right after the last full GC with %,d outstanding; "
                    + "baseline %.1f MiB (%.0f B per record above it)%n", liveCollected / 1048576.0, outstanding,
                    baselineCollected / 1048576.0,
                    outstanding == 0 ? 0.0 : (liveCollected - baselineCollected) / (double) outstanding);
            if (o.histogramLines > 0) {
                // What the baseline (which varies from run to run) holds, before anything is outstanding.
                System.out.println("class histogram at baseline (top " + o.histogramLines + "):");
                System.out.println(baselineHistogram);
                System.out.println("class histogram with all records outstanding (top " + o.histogramLines + "):");
                System.out.println(classHistogram(o.histogramLines));
            }
            sink.setPaused(false);
            long r0 = System.nanoTime();
            producer.flushSync();
            System.out.printf("drained                 in %.2f s after resuming%n", (System.nanoTime() - r0) / 1e9);
            check(o, load, sink.stats(), sinkRecordsAtStart, o.warmup + o.records, producer.outstandingRecords());
        } finally {
            sink.setPaused(false);
            producer.close(Duration.ofSeconds(30));
            client.close();
        }
    }

    /** The top lines of {@code jcmd <pid> GC.class_histogram} (which runs a full GC first), in process. */
    private static String classHistogram(int lines) {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            return String.join("\n", Arrays.asList(String.valueOf(out).split("\n")).subList(0,
                    Math.min(lines + 2, String.valueOf(out).split("\n").length)));
        } catch (Exception e) {
            return "(class histogram unavailable: " + e + ")";
        }
    }

    /**
     * The heap the last collection left (each heap pool's usage right after it, as the collector reports it): the
     * live set, without what threads allocated in the 100 ms after it, which {@link #usedAfterGc} also counts and
     * which made its baseline vary by tens of MiB between runs.
     */
    private static long heapAfterLastGc() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage after = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (after != null) {
                sum += after.getUsed();
            }
        }
        return sum;
    }

    private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    // ---- set-up ----

    /**
     * The Kinesis client: {@code o.protocol} (CBOR or JSON), HTTP/1.1; on an {@code https} endpoint it trusts any
     * certificate (a local sink's).
     */
    static KinesisAsyncClient client(Options o, URI endpoint, Duration readTimeout) {
        int concurrency = o.maxConcurrentRequests != null ? o.maxConcurrentRequests
                : ProducerConfig.DEFAULT_MAX_CONCURRENT_REQUESTS;
        NettyNioAsyncHttpClient.Builder http = NettyNioAsyncHttpClient.builder()
                .protocol(Protocol.HTTP1_1)
                .maxConcurrency(Math.max(50, concurrency * 2))
                .readTimeout(readTimeout)
                .writeTimeout(readTimeout);
        boolean trustAll = "https".equals(endpoint.getScheme());
        return o.protocol.buildClient(() -> KinesisAsyncClient.builder()
                .endpointOverride(endpoint)
                .region(Region.of(o.region))
                .credentialsProvider(o.defaultCredentials ? DefaultCredentialsProvider.builder().build()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench")))
                .httpClient(trustAll ? http.buildWithDefaults(AttributeMap.builder()
                        .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, Boolean.TRUE).build()) : http.build())
                .build());
    }

    static ProducerConfig.Builder config(Options o, KinesisAsyncClient client, Load load) {
        ProducerConfig.Builder b = ProducerConfig.builder().kinesisClient(client).aggregationEnabled(o.aggregation)
                .rateLimit(o.rateLimit).producerName("bench")
                .deadLetterHandler(failed -> load.deadLettered.increment());
        if (o.maxOutstandingRecords != null) {
            b.maxOutstandingRecords(o.maxOutstandingRecords);
        }
        if (o.maxOutstandingBytes != null) {
            b.maxOutstandingBytes(o.maxOutstandingBytes);
        }
        if (o.maxBufferedMillis != null) {
            b.recordMaxBufferedTime(Duration.ofMillis(o.maxBufferedMillis));
        }
        if (o.maxConcurrentRequests != null) {
            b.maxConcurrentRequests(o.maxConcurrentRequests);
        }
        return b;
    }

    private static void printMachine(Options o) {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("java %s (%s), %d CPUs, max heap %.0f MiB, JVM options %s; load average %s%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"), rt.availableProcessors(),
                rt.maxMemory() / 1048576.0, ManagementFactory.getRuntimeMXBean().getInputArguments(), loadAverage());
    }

    /** 1, 5 and 15 minute load averages: other work on the machine skews every figure here. */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    private static long[] diff(long[] a, long[] b) {
        long[] d = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - (i < b.length ? b[i] : 0);
        }
        return d;
    }

    /** Adds records from T threads; records each record's add-to-completion latency. */
    static final class Load {
        final Options o;
        final String[] keys;
        final byte[] data;
        final LatencyHistogram latency = new LatencyHistogram();
        final LongAdder succeeded = new LongAdder();
        final LongAdder failed = new LongAdder();
        final AtomicLong addedTotal = new AtomicLong();
        final AtomicLong firstError = new AtomicLong();
        final LongAdder deadLettered = new LongAdder();
        /** CPU time of the adding threads of the runs since {@link #reset()} (they end before the snapshot). */
        final LongAdder adderCpuNanos = new LongAdder();

        Load(Options o) {
            this.o = o;
            this.keys = new String[o.keys];
            for (int i = 0; i < o.keys; i++) {
                keys[i] = "partition-key-" + i;
            }
            // One shared payload: the producer does not copy data arrays, and we never modify it.
            this.data = new byte[o.recordSize];
            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) random.nextInt(256);
            }
        }

        void reset() {
            latency.reset();
            adderCpuNanos.reset();
        }

        void run(KinesisProducer producer, long count) throws InterruptedException {
            List<Thread> threads = new ArrayList<>();
            Throwable[] error = new Throwable[1];
            for (int t = 0; t < o.threads; t++) {
                long share = count / o.threads + (t < count % o.threads ? 1 : 0);
                int seed = t;
                Thread thread = new Thread(() -> {
                    try {
                        addMany(producer, share, seed);
                        adderCpuNanos.add(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                    } catch (Throwable e) {
                        synchronized (error) {
                            error[0] = e;
                        }
                    }
                }, "bench-adder-" + t);
                thread.start();
                threads.add(thread);
            }
            for (Thread thread : threads) {
                thread.join();
            }
            if (error[0] != null) {
                throw new IllegalStateException("an adding thread failed", error[0]);
            }
        }

        private void addMany(KinesisProducer producer, long n, int seed) {
            int k = seed * 7919 % keys.length;
            String stream = o.stream;
            boolean fresh = o.freshData;
            boolean track = o.trackFutures;
            Pacer pacer = new Pacer(o.rate, o.threads, o.pacerMinSleepMicros * 1000L);
            for (long i = 0; i < n; i++) {
                pacer.awaitTurn(i);
                String key = keys[k];
                k = k + 1 == keys.length ? 0 : k + 1;
                byte[] payload = fresh ? data.clone() : data;
                if (!track) {
                    producer.add(stream, key, payload);
                    continue;
                }
                long start = System.nanoTime();
                producer.add(stream, key, payload).whenComplete((r, e) -> {
                    latency.record(System.nanoTime() - start);
                    if (e == null) {
                        succeeded.increment();
                    } else {
                        failed.increment();
                        if (firstError.compareAndSet(0, 1)) {
                            System.err.println("first failed record: " + e);
                        }
                    }
                });
            }
            addedTotal.addAndGet(n);
        }
    }

    /** Process CPU time, GC totals and the sink's counters at one moment. */
    record Snapshot(long cpuNanos, long gcCount, long gcMillis, PutRecordsSink.Stats sink,
            java.util.Map<String, Long> threadCpu, long machineBusyNanos) {

        /** Busy CPU time of the whole machine from /proc/stat (USER_HZ = 100 assumed), or -1. */
        static long readMachineBusyNanos() {
            try {
                String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim()
                        .split("\\s+");
                long busy = 0;
                for (int i = 1; i < Math.min(f.length, 9); i++) {
                    if (i != 4 && i != 5) { // idle, iowait
                        busy += Long.parseLong(f[i]);
                    }
                }
                return busy * 10_000_000L;
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }

        static Snapshot take(SinkControl sink) {
            long cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
            long count = 0;
            long millis = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                count += Math.max(0, gc.getCollectionCount());
                millis += Math.max(0, gc.getCollectionTime());
            }
            PutRecordsSink.Stats stats = null;
            try {
                stats = sink.stats();
            } catch (Exception e) {
                // an external endpoint that is not a sink
            }
            java.util.Map<String, Long> threads = new java.util.HashMap<>();
            java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
            for (java.lang.management.ThreadInfo info : tmx.getThreadInfo(tmx.getAllThreadIds())) {
                if (info != null) {
                    long t = tmx.getThreadCpuTime(info.getThreadId());
                    if (t > 0) {
                        threads.merge(info.getThreadName() + "#" + info.getThreadId(), t, Long::sum);
                    }
                }
            }
            return new Snapshot(cpu, count, millis, stats, threads, readMachineBusyNanos());
        }
    }

    /** Polls heap used every 50 ms on a daemon thread and keeps the maximum. */
    static final class HeapPoller {
        private final AtomicLong peak = new AtomicLong();
        private volatile boolean running = true;
        private Thread thread;

        static HeapPoller start() {
            HeapPoller p = new HeapPoller();
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            p.thread = new Thread(() -> {
                while (p.running) {
                    p.peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-heap-poller");
            p.thread.setDaemon(true);
            p.thread.start();
            return p;
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
            peak.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
        }

        long peak() {
            return peak.get();
        }
    }
}
