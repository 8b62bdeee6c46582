package io.purekinesis.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The same-run comparison of this producer with the real KPL 1.1.1 (issue 16): alternating runs, A B A B, each in
 * its own child JVM ({@link RaceChild}) so CPU and RSS are each library's alone, against the same endpoint (by
 * default {@link PutRecordsSink} over TLS in a third JVM, started once; KPL's daemon speaks only HTTPS). Not run by
 * CI; prints its figures, asserts nothing about time.
 *
 * <p>Each run: the load loop adds at a fixed offered rate (or as fast as the library takes records, with at most
 * {@code --max-in-flight} records outstanding, for both) for a warm-up, then a steady window. Over the window only:
 * user records completed per second; CPU seconds per million of them of the child JVM and all its descendants (KPL's
 * native daemon), from {@code /proc/<pid>/stat}; add-to-completion latency of the records completed in it; the
 * sink's PutRecords calls and stored Kinesis records per million user records it received. After the run: peak RSS
 * ({@code VmHWM}) of the JVM and, apart, of its native child. Then per library min/median/max over the rounds and
 * the ratio of the medians, ours / KPL.
 *
 * <p>Each library speaks its production default: ours the SDK's CBOR (raw byte strings; {@code --protocol json} for
 * the JSON encoding, where the SDK Base64-encodes every aggregate), KPL's daemon JSON (it has nothing else). The
 * sink answers each request in its own encoding.
 *
 * <p>Run with {@code benchmarks/run-race.sh [options]} (see {@code benchmarks/README.md}).
 */
public final class ProducerRace {

    private ProducerRace() {
    }

    static final class Options {
        int rounds = 3;
        /** Offered user records/s; 0 = full speed. */
        long rate = 5_000;
        /** Shortest sleep of an early paced thread, in microseconds ({@link Pacer}); 0 = until its next record. */
        long pacerMinSleepMicros;
        long warmupSeconds = 20;
        long windowSeconds = 60;
        int recordSize = 100;
        int keys = 1_000;
        int shards = 4;
        int threads = 2;
        long maxBufferedMillis = 100;
        Integer rateLimit;
        int maxInFlight = 50_000;
        List<String> libraries = List.of("ours", "kpl");
        URI endpoint;
        String stream = "race";
        String region = "us-east-1";
        /**
         * What our library's SDK client speaks: CBOR (default, as against AWS) or JSON. KPL's daemon always speaks
         * JSON: each library at its production default.
         */
        WireProtocol protocol = WireProtocol.CBOR;
        List<String> childJvmOptions = List.of("-Xmx1g");
        List<String> sinkJvmOptions = List.of("-Xmx1g", "-XX:+UseParallelGC");
        double sinkFailFraction;
        boolean sinkShardLimits;
        /** Set in a child only: which library it runs. */
        String library;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--full-speed")) {
                    o.rate = 0;
                    continue;
                }
                if (arg.equals("--help") || arg.equals("-h")) {
                    System.out.println("see the Javadoc of " + ProducerRace.class.getName()
                            + " or benchmarks/README.md");
                    System.exit(0);
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + arg);
                }
                String v = args[++i];
                switch (arg) {
                    case "--rounds" -> o.rounds = Integer.parseInt(v);
                    case "--rate" -> o.rate = Long.parseLong(v.replace("_", ""));
                    case "--pacer-min-sleep-us" -> o.pacerMinSleepMicros = Long.parseLong(v);
                    case "--warmup-seconds" -> o.warmupSeconds = Long.parseLong(v);
                    case "--window-seconds" -> o.windowSeconds = Long.parseLong(v);
                    case "--record-size" -> o.recordSize = Integer.parseInt(v);
                    case "--keys" -> o.keys = Integer.parseInt(v);
                    case "--shards" -> o.shards = Integer.parseInt(v);
                    case "--threads" -> o.threads = Integer.parseInt(v);
                    case "--max-buffered-ms" -> o.maxBufferedMillis = Long.parseLong(v);
                    case "--rate-limit" -> o.rateLimit = Integer.parseInt(v);
                    case "--max-in-flight" -> o.maxInFlight = Integer.parseInt(v.replace("_", ""));
                    case "--libraries" -> o.libraries = Arrays.asList(v.split(","));
                    case "--endpoint" -> o.endpoint = URI.create(v);
                    case "--stream" -> o.stream = v;
                    case "--region" -> o.region = v;
                    case "--protocol" -> o.protocol = WireProtocol.parse(v);
                    case "--child-jvm-opts" -> o.childJvmOptions = words(v);
                    case "--sink-jvm-opts" -> o.sinkJvmOptions = words(v);
                    case "--sink-fail-fraction" -> o.sinkFailFraction = Double.parseDouble(v);
                    case "--sink-shard-limits" -> o.sinkShardLimits = Boolean.parseBoolean(v);
                    case "--child" -> o.library = v;
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            for (String library : o.libraries) {
                if (!library.equals("ours") && !library.equals("kpl")) {
                    throw new IllegalArgumentException("--libraries takes ours and/or kpl, was " + o.libraries);
                }
            }
            if (o.endpoint != null && !"https".equals(o.endpoint.getScheme())) {
                throw new IllegalArgumentException("--endpoint must be https (KPL speaks only HTTPS): " + o.endpoint);
            }
            if (o.rateLimit == null) {
                // Both libraries default to 150 % of a shard's limits. At full speed that would cap both near
                // 4 shards x 1.5 MiB/s, so the race lifts it there (10,000 is this producer's maximum).
                o.rateLimit = o.rate == 0 ? 10_000 : 150;
            }
            return o;
        }

        private static List<String> words(String v) {
            return v.isBlank() ? List.of() : Arrays.asList(v.trim().split("\\s+"));
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.library != null) {
            // ours builds its client in o.protocol (ProducerBenchmark.client); KPL's daemon always speaks JSON
            RaceChild.run(o);
            System.exit(0);
        }
        System.out.printf("java %s, %d CPUs; load average %s%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), ProducerBenchmark.loadAverage());
        SinkControl sink = o.endpoint != null ? null
                : SinkControl.startProcess(o.shards, PutRecordsSink.CountMode.RECORDS, o.sinkJvmOptions, true);
        try {
            URI endpoint = sink != null ? sink.endpoint() : o.endpoint;
            System.out.printf("endpoint: %s%s%n", endpoint, sink != null ? " (PutRecordsSink over TLS, separate JVM, "
                    + "pid " + sink.pid() + ")" : " (external: no call counts)");
            if (sink != null && (o.sinkFailFraction > 0 || o.sinkShardLimits)) {
                sink.setThrottling(o.sinkFailFraction, o.sinkShardLimits);
            }
            System.out.printf("load: %s, %d B records, %d keys, %d shards, %d adding threads, aggregation on, "
                            + "buffered time %d ms, rate limit %d %%, at most %,d in flight; warm-up %d s, window %d s, "
                            + "%d rounds of %s; protocol: ours %s, KPL json; child JVM options %s; "
                            + "pacer minimum sleep %d us%n",
                    o.rate > 0 ? String.format(Locale.ROOT, "%,d user records/s offered", o.rate) : "full speed",
                    o.recordSize, o.keys, o.shards, o.threads, o.maxBufferedMillis, o.rateLimit, o.maxInFlight,
                    o.warmupSeconds, o.windowSeconds, o.rounds, o.libraries,
                    o.protocol.name().toLowerCase(Locale.ROOT), o.childJvmOptions, o.pacerMinSleepMicros);
            Map<String, List<Run>> runs = new LinkedHashMap<>();
            for (int round = 1; round <= o.rounds; round++) {
                for (String library : o.libraries) {
                    Run run = runChild(o, args, library, endpoint, sink);
                    System.out.println("run " + round + " " + run.line());
                    runs.computeIfAbsent(library, k -> new ArrayList<>()).add(run);
                }
            }
            printSummary(runs);
        } finally {
            if (sink != null) {
                sink.close();
            }
        }
    }

    // ---- one run ----

    /** What one child run measured. Per-million figures are per million user records. */
    record Run(String library, double recordsPerSecond, double cpuSecondsPerMillion, double nativeCpuSecondsPerMillion,
            double p50Millis, double p99Millis, double maxMillis, double jvmPeakRssMiB, double nativePeakRssMiB,
            double callsPerMillion, double kinesisRecordsPerMillion, long failed, String loadAverage) {

        String line() {
            return String.format(Locale.ROOT, "%-4s %,9.0f rec/s  CPU %6.2f s/M (native %5.2f)  p50 %6.1f p99 %6.1f "
                            + "max %6.1f ms  RSS JVM %5.0f MiB native %5.0f MiB  calls/M %,7.0f  records/M %,7.0f  "
                            + "failed %d  load %s", library, recordsPerSecond, cpuSecondsPerMillion,
                    nativeCpuSecondsPerMillion, p50Millis, p99Millis, maxMillis, jvmPeakRssMiB, nativePeakRssMiB,
                    callsPerMillion, kinesisRecordsPerMillion, failed, loadAverage);
        }
    }

    private static Run runChild(Options o, String[] parentArgs, String library, URI endpoint, SinkControl sink)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(o.childJvmOptions);
        // KPL relays every line of its daemon's log at INFO.
        command.add("-Dorg.slf4j.simpleLogger.log.software.amazon.kinesis=warn");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ProducerRace.class.getName());
        command.addAll(Arrays.asList(parentArgs));
        command.addAll(List.of("--child", library, "--endpoint", endpoint.toString()));
        String loadAverage = ProducerBenchmark.loadAverage();
        PutRecordsSink.Stats sinkBefore = sink != null ? sink.stats() : null;
        PutRecordsSink.Stats sinkAfter = null;
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long pid = child.pid();
        List<ProcTree.Proc> start = null;
        List<ProcTree.Proc> end = null;
        List<ProcTree.Proc> last = null;
        PutRecordsSink.Stats sinkStart = null;
        PutRecordsSink.Stats sinkEnd = null;
        Map<String, String> result = new HashMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                switch (line.startsWith("RACE ") ? line.substring(5).split(" ")[0] : "") {
                    case "window-start" -> {
                        start = ProcTree.read(pid);
                        sinkStart = sink != null ? sink.stats() : null;
                    }
                    case "window-end" -> {
                        end = ProcTree.read(pid);
                        sinkEnd = sink != null ? sink.stats() : null;
                    }
                    case "result" -> {
                        for (String kv : line.substring("RACE result ".length()).split(" ")) {
                            int eq = kv.indexOf('=');
                            result.put(kv.substring(0, eq), kv.substring(eq + 1));
                        }
                    }
                    case "done" -> {
                        last = ProcTree.read(pid); // VmHWM is a peak: read it before the processes exit
                        sinkAfter = sink != null ? sink.stats() : null;
                        child.getOutputStream().close();
                    }
                    default -> System.out.println("[" + library + "] " + line);
                }
            }
        } finally {
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.descendants().forEach(ProcessHandle::destroyForcibly);
                child.destroyForcibly();
            }
        }
        if (start == null || end == null || last == null || result.isEmpty()) {
            throw new IllegalStateException(library + " run ended early (exit " + child.exitValue() + ")");
        }
        double completed = Double.parseDouble(result.get("completedInWindow"));
        double millions = completed / 1e6;
        long jvmCpu = end.get(0).cpuNanos() - start.get(0).cpuNanos();
        long allCpu = ProcTree.cpuNanos(end) - ProcTree.cpuNanos(start);
        double nativeRss = 0;
        for (ProcTree.Proc p : last.subList(1, last.size())) {
            nativeRss += Math.max(0, p.peakRssBytes());
        }
        double calls = Double.NaN;
        double entries = Double.NaN;
        if (sinkStart != null && sinkEnd != null) {
            double received = (sinkEnd.userRecords() - sinkStart.userRecords()) / 1e6;
            calls = (sinkEnd.putRecordsCalls() - sinkStart.putRecordsCalls()) / received;
            entries = (sinkEnd.entries() - sinkStart.entries()) / received;
        }
        long succeeded = Long.parseLong(result.get("succeeded"));
        if (sinkBefore != null && sinkAfter != null) {
            long received = sinkAfter.userRecords() - sinkBefore.userRecords();
            System.out.printf("[%s] check: the sink received %,d user records, %,d futures succeeded: %s%n", library,
                    received, succeeded, received == succeeded ? "OK" : "MISMATCH (duplicates or losses)");
        }
        if (!"none".equals(result.get("firstError"))) {
            System.out.println("[" + library + "] first failure: " + result.get("firstError"));
        }
        return new Run(library, completed / Double.parseDouble(result.get("windowSeconds")), allCpu / 1e9 / millions,
                (allCpu - jvmCpu) / 1e9 / millions, Long.parseLong(result.get("p50Nanos")) / 1e6,
                Long.parseLong(result.get("p99Nanos")) / 1e6, Long.parseLong(result.get("maxNanos")) / 1e6,
                last.get(0).peakRssBytes() / 1048576.0, nativeRss / 1048576.0, calls, entries,
                Long.parseLong(result.get("failed")), loadAverage);
    }

    // ---- summary ----

    private static void printSummary(Map<String, List<Run>> runs) {
        System.out.println();
        System.out.println("=== summary: min / median / max over the rounds; ratio = median ours / median KPL ===");
        List<String> libraries = new ArrayList<>(runs.keySet());
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-34s", "metric (steady window)"));
        for (String library : libraries) {
            header.append(String.format(Locale.ROOT, " | %-26s", library));
        }
        System.out.println(header + (runs.containsKey("ours") && runs.containsKey("kpl") ? " | ours/KPL" : ""));
        row(runs, "user records/s", Run::recordsPerSecond, "%,.0f");
        row(runs, "CPU-s per M records (JVM+native)", Run::cpuSecondsPerMillion, "%.2f");
        row(runs, "  of which native child", Run::nativeCpuSecondsPerMillion, "%.2f");
        row(runs, "latency p50 ms", Run::p50Millis, "%.1f");
        row(runs, "latency p99 ms", Run::p99Millis, "%.1f");
        row(runs, "latency max ms", Run::maxMillis, "%.1f");
        row(runs, "peak RSS JVM MiB", Run::jvmPeakRssMiB, "%.0f");
        row(runs, "peak RSS native child MiB", Run::nativePeakRssMiB, "%.0f");
        if (runs.values().stream().flatMap(List::stream).noneMatch(r -> Double.isNaN(r.callsPerMillion()))) {
            row(runs, "PutRecords calls per M", Run::callsPerMillion, "%,.0f");
            row(runs, "Kinesis records per M", Run::kinesisRecordsPerMillion, "%,.0f");
        } else {
            System.out.println("(PutRecords calls and Kinesis records: counted only by the sink, not on --endpoint)");
        }
        row(runs, "failed records (whole run)", r -> r.failed(), "%.0f");
    }

    private static void row(Map<String, List<Run>> runs, String name, ToDoubleFunction<Run> metric, String format) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s", name));
        Map<String, Double> medians = new HashMap<>();
        for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
            double[] v = e.getValue().stream().mapToDouble(metric).sorted().toArray();
            double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            medians.put(e.getKey(), median);
            line.append(String.format(Locale.ROOT, " | %-26s", String.format(Locale.ROOT, format, v[0]) + " / "
                    + String.format(Locale.ROOT, format, median) + " / "
                    + String.format(Locale.ROOT, format, v[v.length - 1])));
        }
        if (medians.containsKey("ours") && medians.containsKey("kpl")) {
            double kpl = medians.get("kpl");
            double ours = medians.get("ours");
            // No ratio where one side has nothing to measure (ours has no native child) or nothing was counted.
            line.append(kpl == 0 || ours == 0 || Double.isNaN(kpl) ? " | -"
                    : String.format(Locale.ROOT, " | %.2f", medians.get("ours") / kpl));
        }
        System.out.println(line);
    }
}
