package io.purekinesis.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Same-run comparison of this consumer with KCL 3.5.1 (issue 16): each run is a fresh child JVM
 * ({@link ConsumerRaceChild}) so its CPU and resident set belong to one library only, and the libraries alternate
 * (ours, KCL, ours, KCL, ...) against the same {@link GetRecordsSource}s, which run in this process.
 *
 * <ul>
 *   <li><b>Drain</b>, per mode (KPL aggregates and plain records): a pre-filled stream far larger than any run reads,
 *       one worker on a fresh lease table (DynamoDB Local in a process of its own, or inside the child). After every
 *       shard has delivered a record and a warm-up, the child measures its own CPU (/proc/self/stat) and user records over a fixed window: CPU
 *       seconds per million user records, user records/s; and its peak RSS (VmHWM). The same run gives the start-up
 *       time: the library's start call (and the JVM's start) to the first record.</li>
 *   <li><b>Takeover</b>: two workers of one library in two child JVMs on one lease table (DynamoDB Local in this
 *       process), failover time the same for both, a stream growing at a low rate. Once both hold shards (or, if the
 *       library leaves one idle, once all shards are held) and no lease has moved for one failover time, the worker
 *       with the most shards is killed with SIGKILL;
 *       the result is the time from the kill to the survivor's first record of the last of the victim's shards.</li>
 * </ul>
 *
 * <p>Options ({@code --name value}): {@code --rounds 3}, {@code --modes aggregated,plain}, {@code --shards 4},
 * {@code --record-size 100}, {@code --records-per-aggregate 100}, {@code --warmup-s 10}, {@code --window-s 30},
 * {@code --startup-timeout-s 300}, {@code --takeover true}, {@code --failover-ms 10000},
 * {@code --takeover-timeout-s 300}, {@code --append-per-s 20} (takeover stream growth per shard),
 * {@code --child-opts "-Xmx1g ..."}, {@code --logs target/consumer-race}, {@code --libraries ours,kcl},
 * {@code --dynamodb process} (drain: DynamoDB Local in a JVM of its own per run, its CPU reported apart) or
 * {@code child} (inside the drain child, as before).
 */
public final class ConsumerRace {

    static final List<String> LIBRARIES = List.of("ours", "kcl");
    /** JVM options of the DynamoDB Local process of a drain run. */
    static final String DYNAMODB_OPTS = "-Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn";

    /** The libraries that run ({@code --libraries}, default both; {@code ours} alone for before/after runs). */
    private final List<String> libraries;

    private final Map<String, String> opts;
    private final Path logs;
    private final String childOpts;
    /** Whether drain runs get DynamoDB Local in a process of its own ({@code --dynamodb process}). */
    private final boolean dynamoApart;
    private int runs;

    private ConsumerRace(Map<String, String> opts) throws IOException {
        this.opts = opts;
        // one directory per invocation, so the numbered logs of earlier runs are never mixed in
        this.logs = Path.of(opt("--logs", "target/consumer-race"), java.time.LocalDateTime.now()
                .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        this.childOpts = opt("--child-opts", "-Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        this.libraries = Arrays.stream(opt("--libraries", "ours,kcl").split(",")).map(String::trim)
                .filter(l -> !l.isEmpty()).toList();
        if (libraries.isEmpty() || !LIBRARIES.containsAll(libraries)) {
            throw new IllegalArgumentException("--libraries: ours and/or kcl, not " + opt("--libraries", ""));
        }
        this.dynamoApart = switch (opt("--dynamodb", "process")) {
            case "process" -> true;
            case "child" -> false;
            default -> throw new IllegalArgumentException("--dynamodb process|child, not " + opt("--dynamodb", ""));
        };
        Files.createDirectories(logs);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
            }
            opts.put(args[i], args[i + 1]);
        }
        new ConsumerRace(opts).run();
        System.exit(0);
    }

    private String opt(String name, String defaultValue) {
        return opts.getOrDefault(name, defaultValue);
    }

    private int intOpt(String name, int defaultValue) {
        return Integer.parseInt(opt(name, Integer.toString(defaultValue)));
    }

    private void run() throws Exception {
        int rounds = intOpt("--rounds", 3);
        int shards = intOpt("--shards", 4);
        System.out.println("consumer race: this consumer vs KCL 3.5.1, " + rounds + " round(s), " + shards
                + " shards, " + Runtime.getRuntime().availableProcessors() + " CPUs, load " + loadAverage()
                + ", child JVM options " + childOpts + ", child logs in " + logs.toAbsolutePath());
        for (String mode : opt("--modes", "aggregated,plain").split(",")) {
            if (!mode.isBlank()) {
                drain(mode.trim(), rounds, shards);
            }
        }
        if (Boolean.parseBoolean(opt("--takeover", "true"))) {
            takeover(rounds, shards);
        }
        System.out.println("load at the end " + loadAverage());
    }

    // ---- drain and start-up

    private void drain(String mode, int rounds, int shards) throws Exception {
        boolean aggregated = switch (mode) {
            case "aggregated" -> true;
            case "plain" -> false;
            default -> throw new IllegalArgumentException("--modes: aggregated and/or plain, not " + mode);
        };
        int perAggregate = intOpt("--records-per-aggregate", 100);
        int warmup = intOpt("--warmup-s", 10);
        int window = intOpt("--window-s", 30);
        long timeoutMillis = (intOpt("--startup-timeout-s", 300) + warmup + window + 30) * 1000L;
        Map<String, List<Map<String, Double>>> results = new LinkedHashMap<>();
        // 10^9 entries per shard: no run gets near the end, so every run reads a backlog at its own full speed
        try (GetRecordsSource source = GetRecordsSource.start(0, shards, 1_000_000_000L, aggregated,
                intOpt("--record-size", 100), perAggregate)) {
            System.out.printf(Locale.ROOT, "%n== drain, %s (%d user record(s) of %d bytes per Kinesis record), "
                    + "warm-up %d s, window %d s%n", mode, source.userRecordsPerEntry(),
                    intOpt("--record-size", 100), warmup, window);
            for (int round = 1; round <= rounds; round++) {
                for (String library : libraries) {
                    String app = "race-" + library + "-" + System.currentTimeMillis();
                    List<String> args = new ArrayList<>(List.of(
                            "--library", library, "--mode", "drain", "--source", source.endpoint().toString(),
                            "--app", app, "--shards", Integer.toString(shards), "--warmup-s",
                            Integer.toString(warmup), "--window-s", Integer.toString(window)));
                    Child dynamo = null;
                    Child child = null;
                    Map<String, Double> r = null;
                    try {
                        if (dynamoApart) {
                            dynamo = Child.start(this, library + "-dynamodb-" + mode + "-" + round,
                                    LocalDynamoDbProcess.class, List.of());
                            String[] d = awaitDynamo(dynamo);
                            args.addAll(List.of("--dynamodb", d[0], "--dynamodb-pid", d[1]));
                        }
                        child = Child.start(this, library + "-drain-" + mode + "-" + round, ConsumerRaceChild.class,
                                args);
                        String result = child.await(l -> l.startsWith("RESULT "), timeoutMillis);
                        r = result == null ? null : drainResult(child, result);
                    } finally {
                        if (child != null) {
                            child.kill();
                        }
                        if (dynamo != null) {
                            dynamo.kill();
                        }
                    }
                    results.computeIfAbsent(library, k -> new ArrayList<>()).add(r);
                    System.out.println("  round " + round + " " + library + ": " + (r == null
                            ? "no result within " + timeoutMillis / 1000 + " s (see " + child.name + ".err)"
                            : format(r)) + ", load " + loadAverage());
                    for (String kind : List.of("THREAD_CPU", "JAVA_THREAD_CPU")) {
                        String threads = child.await(l -> l.startsWith(kind + " "), 0);
                        if (threads != null) {
                            System.out.println("    " + kind + " (CPU-s in the window by thread group): "
                                    + threads.substring(kind.length()).trim());
                        }
                    }
                }
            }
            System.err.println("source " + mode + ": " + source.stats());
        }
        summary("drain, " + mode, results, List.of("cpuSecondsPerMillion", "cpuSecondsPerMillionWithDynamoDb",
                "recordsPerSecond", "peakRssMib",
                "startCallToFirstRecordSeconds", "jvmStartToFirstRecordSeconds"));
    }

    /** The endpoint and pid a {@link LocalDynamoDbProcess} prints once it serves. */
    private String[] awaitDynamo(Child dynamo) throws InterruptedException {
        String line = dynamo.await(l -> l.startsWith(LocalDynamoDbProcess.READY),
                intOpt("--startup-timeout-s", 300) * 1000L);
        if (line == null) {
            throw new IllegalStateException("DynamoDB Local did not start (see " + dynamo.name + ".err)");
        }
        return LocalDynamoDbProcess.endpointAndPid(line);
    }

    /** A drain child's measurements from its RESULT line and its earlier lines. */
    static Map<String, Double> drainResult(Child child, String resultLine) {
        Map<String, String> f = fields(resultLine);
        double records = Double.parseDouble(f.get("records"));
        double seconds = Double.parseDouble(f.get("seconds"));
        double first = Double.parseDouble(f.get("firstRecord"));
        Map<String, Double> r = cpuPerMillion(f);
        r.put("recordsPerSecond", records / seconds);
        r.put("peakRssMib", Double.parseDouble(f.get("peakRssKib")) / 1024);
        r.put("startCallToFirstRecordSeconds", (first - child.epochMillis("START_CALL ")) / 1000);
        r.put("jvmStartToFirstRecordSeconds", (first - child.epochMillis("PROCESS_START ")) / 1000);
        return r;
    }

    /**
     * CPU seconds per million user records of a RESULT line: the child's alone, and, when DynamoDB Local ran in a
     * process of its own ({@code dynamoCpu}), the two together (the figure of runs with it inside the child).
     */
    static Map<String, Double> cpuPerMillion(Map<String, String> f) {
        double records = Double.parseDouble(f.get("records"));
        double cpu = Double.parseDouble(f.get("cpu"));
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("cpuSecondsPerMillion", records == 0 ? Double.NaN : cpu / (records / 1e6));
        if (f.containsKey("dynamoCpu")) {
            double dynamo = Double.parseDouble(f.get("dynamoCpu"));
            r.put("cpuSecondsPerMillionWithDynamoDb", records == 0 || dynamo < 0 ? Double.NaN
                    : (cpu + dynamo) / (records / 1e6));
        }
        return r;
    }

    /** {@code key=value} pairs of a line (the first word, the line's kind, is skipped). */
    static Map<String, String> fields(String line) {
        Map<String, String> f = new HashMap<>();
        for (String word : line.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                f.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return f;
    }

    // ---- takeover

    private void takeover(int rounds, int shards) throws Exception {
        int failoverMillis = intOpt("--failover-ms", 10_000);
        long takeoverTimeoutMillis = intOpt("--takeover-timeout-s", 300) * 1000L;
        long startupTimeoutMillis = intOpt("--startup-timeout-s", 300) * 1000L;
        Map<String, List<Map<String, Double>>> results = new LinkedHashMap<>();
        try (GetRecordsSource source = GetRecordsSource.start(0, shards, 0, false, intOpt("--record-size", 100), 1,
                Double.parseDouble(opt("--append-per-s", "20")));
                io.purekinesis.testkit.LocalDynamoDb dynamo = io.purekinesis.testkit.LocalDynamoDb.start()) {
            System.out.printf(Locale.ROOT, "%n== takeover after kill -9: two workers per library, failover time %d ms"
                    + " for both, stream growing by %s records/s per shard%n", failoverMillis,
                    opt("--append-per-s", "20"));
            for (int round = 1; round <= rounds; round++) {
                for (String library : libraries) {
                    Map<String, Double> r = takeoverOnce(library, round, source, dynamo.endpoint().toString(),
                            shards, failoverMillis, startupTimeoutMillis, takeoverTimeoutMillis);
                    results.computeIfAbsent(library, k -> new ArrayList<>()).add(r);
                    System.out.println("  round " + round + " " + library + ": " + (r == null ? "no result" : format(r))
                            + ", load " + loadAverage());
                }
            }
        }
        summary("takeover after kill -9", results, List.of("killToLastTakenShardSeconds", "shardsMoved"));
    }

    private Map<String, Double> takeoverOnce(String library, int round, GetRecordsSource source, String dynamo,
            int shards, int failoverMillis, long startupTimeoutMillis, long takeoverTimeoutMillis) throws Exception {
        String app = "race-takeover-" + library + "-" + System.currentTimeMillis();
        List<Child> workers = new ArrayList<>();
        try {
            // Worker b starts once a has delivered its first record, i.e. on an application that already exists:
            // two KCL 3.5.1 workers started together on a fresh application raced to create the client-version
            // migration row, and the loser gave up initialising after 20 attempts (seen in the first smoke run).
            for (String id : List.of("a", "b")) {
                Child w = Child.start(this, library + "-takeover-" + round + "-" + id, List.of(
                        "--library", library, "--mode", "worker", "--source", source.endpoint().toString(),
                        "--app", app, "--worker-id", library + "-" + id, "--dynamodb", dynamo,
                        "--failover-ms", Integer.toString(failoverMillis)));
                workers.add(w);
                if (id.equals("a") && w.await(l -> l.startsWith("FIRST_RECORD "), startupTimeoutMillis) == null) {
                    System.out.println("  " + library + ": worker a delivered no record within "
                            + startupTimeoutMillis / 1000 + " s (see " + w.name + ".err)");
                    return null;
                }
            }
            Child a = workers.get(0);
            Child b = workers.get(1);
            // Kill once the assignment is settled: every shard held, both workers holding some, no lease gained or
            // lost for one failover time (so no balancing move is under way at the kill). A library that leaves one
            // worker idle for 12 failover times (2 minutes at 10 s, several KCL 3.x balancing rounds) gets the one
            // holding everything killed.
            long deadline = System.currentTimeMillis() + startupTimeoutMillis;
            long allHeldSince = 0;
            boolean settled = false;
            while (!settled && System.currentTimeMillis() < deadline) {
                if (!a.process.isAlive() || !b.process.isAlive()) {
                    System.out.println("  " + library + ": a worker stopped before the kill (see its .err log)");
                    return null;
                }
                long now = System.currentTimeMillis();
                Set<String> union = new TreeSet<>(a.held);
                union.addAll(b.held);
                boolean quiet = now - Math.max(a.lastChangeMillis, b.lastChangeMillis) >= failoverMillis;
                if (union.size() >= shards) {
                    if (allHeldSince == 0) {
                        allHeldSince = now;
                    }
                    boolean bothHold = !a.held.isEmpty() && !b.held.isEmpty();
                    settled = quiet && (bothHold || now - allHeldSince > 12L * failoverMillis);
                } else {
                    allHeldSince = 0;
                }
                Thread.sleep(100);
            }
            if (!settled) {
                System.out.println("  " + library + ": the assignment had not settled within "
                        + startupTimeoutMillis / 1000 + " s after worker b started; killing anyway");
            }
            Child victim = a.held.size() >= b.held.size() ? a : b;
            Child survivor = victim == a ? b : a;
            Set<String> moving = new TreeSet<>(victim.held);
            if (moving.isEmpty()) {
                System.out.println("  " + library + ": no worker held a shard within " + startupTimeoutMillis / 1000
                        + " s");
                return null;
            }
            long killMillis = System.currentTimeMillis();
            victim.kill(); // Process.destroyForcibly: SIGKILL on Linux
            long until = killMillis + takeoverTimeoutMillis;
            while (System.currentTimeMillis() < until) {
                if (survivor.processedAfter(moving, killMillis) >= 0) {
                    break;
                }
                Thread.sleep(50);
            }
            long last = survivor.processedAfter(moving, killMillis);
            if (last < 0) {
                System.out.println("  " + library + ": the survivor had not processed all of " + moving + " "
                        + takeoverTimeoutMillis / 1000 + " s after the kill (NaN below)");
            }
            Map<String, Double> r = new LinkedHashMap<>();
            r.put("killToLastTakenShardSeconds", last < 0 ? Double.NaN : (last - killMillis) / 1000.0);
            r.put("shardsMoved", (double) moving.size());
            return r;
        } finally {
            for (Child w : workers) {
                w.kill();
            }
        }
    }

    // ---- output

    private static String format(Map<String, Double> r) {
        StringBuilder sb = new StringBuilder();
        r.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ')
                .append(String.format(Locale.ROOT, "%.2f", v)));
        return sb.toString();
    }

    private static void summary(String title, Map<String, List<Map<String, Double>>> results, List<String> keys) {
        System.out.println();
        System.out.println("| " + title + " | this consumer min / median / max | KCL 3.5.1 min / median / max "
                + "| ours/KCL (medians) |");
        System.out.println("| --- | --- | --- | --- |");
        for (String key : keys) {
            double[] ours = values(results.get("ours"), key);
            double[] kcl = values(results.get("kcl"), key);
            System.out.println("| " + key + " | " + minMedianMax(ours) + " | " + minMedianMax(kcl) + " | "
                    + (ours.length == 0 || kcl.length == 0 ? "-"
                            : String.format(Locale.ROOT, "%.2f", median(ours) / median(kcl))) + " |");
        }
    }

    static double[] values(List<Map<String, Double>> runs, String key) {
        if (runs == null) {
            return new double[0];
        }
        return runs.stream().filter(r -> r != null && r.get(key) != null && !r.get(key).isNaN())
                .mapToDouble(r -> r.get(key)).sorted().toArray();
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String minMedianMax(double[] sorted) {
        if (sorted.length == 0) {
            return "no result";
        }
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f", sorted[0], median(sorted),
                sorted[sorted.length - 1]);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    // ---- child processes

    /** A child JVM: standard output parsed line by line (and copied to a log), standard error to a log file. */
    static final class Child {
        final String name;
        final Process process;
        final List<String> lines = new ArrayList<>();
        /** Shards this worker holds: PROCESSED adds, LOST removes. */
        final Set<String> held = ConcurrentHashMap.newKeySet();
        /** Per shard, the wall-clock times of its PROCESSED lines. */
        final Map<String, List<Long>> processed = new ConcurrentHashMap<>();
        private volatile boolean ended;
        /** When a PROCESSED or LOST line last came (parent's clock). */
        volatile long lastChangeMillis;

        private Child(String name, Process process) {
            this.name = name;
            this.process = process;
        }

        static Child start(ConsumerRace race, String name, List<String> args) throws IOException {
            return start(race, name, ConsumerRaceChild.class, args);
        }

        static Child start(ConsumerRace race, String name, Class<?> main, List<String> args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // DynamoDB Local gets fixed options: --child-opts (e.g. a JFR recording to a file) are the consumer's
            String opts = main == LocalDynamoDbProcess.class ? DYNAMODB_OPTS : race.childOpts;
            command.addAll(Arrays.asList(opts.trim().split("\\s+")));
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(main.getName());
            command.addAll(args);
            String logName = String.format(Locale.ROOT, "%02d-%s", ++race.runs, name);
            Process p = new ProcessBuilder(command)
                    .redirectError(race.logs.resolve(logName + ".err").toFile())
                    .start();
            Child child = new Child(logName, p);
            PrintWriter log = new PrintWriter(Files.newBufferedWriter(race.logs.resolve(logName + ".out")), true);
            Thread reader = new Thread(() -> child.read(log), "race-child-" + logName);
            reader.setDaemon(true);
            reader.start();
            return child;
        }

        private void read(PrintWriter log) {
            try (log; BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    log.println(line);
                    String[] w = line.trim().split("\\s+");
                    if (w.length == 3 && (w[0].equals("PROCESSED") || w[0].equals("LOST"))) {
                        lastChangeMillis = System.currentTimeMillis();
                    }
                    if (w.length == 3 && w[0].equals("PROCESSED")) {
                        held.add(w[1]);
                        processed.computeIfAbsent(w[1], k -> new CopyOnWriteArrayList<>()).add(Long.parseLong(w[2]));
                    } else if (w.length == 3 && w[0].equals("LOST")) {
                        held.remove(w[1]);
                    }
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the child died; ended below ends the waits
            }
            synchronized (lines) {
                ended = true;
                lines.notifyAll();
            }
        }

        /** The first line matching {@code match}, waiting up to {@code timeoutMillis}; null on timeout or exit. */
        String await(Predicate<String> match, long timeoutMillis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            synchronized (lines) {
                while (true) {
                    for (String l : lines) {
                        if (match.test(l)) {
                            return l;
                        }
                    }
                    long left = deadline - System.currentTimeMillis();
                    if (left <= 0 || ended) {
                        return null;
                    }
                    lines.wait(Math.min(left, 1_000));
                }
            }
        }

        /** The epoch-millisecond value of the line starting with {@code prefix}. */
        double epochMillis(String prefix) {
            synchronized (lines) {
                for (String l : lines) {
                    if (l.startsWith(prefix)) {
                        return Double.parseDouble(l.substring(prefix.length()).trim());
                    }
                }
            }
            throw new IllegalStateException(name + " printed no " + prefix.trim());
        }

        /**
         * The latest of the first PROCESSED times after {@code sinceMillis} of each of {@code shards}, or -1 if one
         * of them has none yet.
         */
        long processedAfter(Set<String> shards, long sinceMillis) {
            long last = 0;
            for (String shard : shards) {
                long first = processed.getOrDefault(shard, List.of()).stream().mapToLong(Long::longValue)
                        .filter(t -> t >= sinceMillis).min().orElse(-1);
                if (first < 0) {
                    return -1;
                }
                last = Math.max(last, first);
            }
            return last;
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
