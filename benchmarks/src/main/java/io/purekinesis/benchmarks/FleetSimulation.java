package io.purekinesis.benchmarks;

import io.purekinesis.consumer.ConsumerConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * Fleet simulation (issue 17): N workers ({@link FleetWorker}, KinesisConsumers on the public API, in this JVM) over
 * M shards in one or several streams, against DynamoDB Local (in this JVM as testkit starts it, or with
 * {@code --dynamodb-process true} in a JVM of its own; {@code --dynamodb-clients shared|per-worker}, see
 * {@link FleetDynamoClients}) and
 * {@link FleetKinesis} (shard lists, empty reads). Prints figures, asserts nothing.
 *
 * <p>Phases (each reported with the DynamoDB calls and units it cost, per operation, from {@link CapacityMeter}):
 * <ol>
 *   <li><b>start</b>: all N start at once; time until every lease is held by exactly one worker and every worker
 *       holds within one lease of the fair share (held for {@code --stable-seconds}); start-up writes per lease.</li>
 *   <li><b>steady</b>: a window of {@code --steady-seconds} after {@code --settle-seconds}: read and write units
 *       per hour and per shard-hour, ListShards calls per minute, lease moves; next to KCL 3.x and 2.x models of the
 *       same fleet ({@link FleetCostModel}) from the measured average lease row.</li>
 *   <li><b>join</b>: one more worker starts; time to converge.</li>
 *   <li><b>leave</b>: the lowest-id worker close()s; time to converge.</li>
 *   <li><b>kill</b>: the lowest-id worker left (the one an elected assigner would be) dies as by kill -9; time until
 *       every lease it held is initialized on another worker, and to converge.</li>
 *   <li><b>close-all</b>: every remaining worker close()s at once; WARN/ERROR lines it logged.</li>
 * </ol>
 */
public final class FleetSimulation {

    private static final long POLL_MILLIS = 100;

    private final Map<String, String> opts;
    private final int workerCount;
    private final int shards;
    private final List<String> streams = new ArrayList<>();
    private final Duration timeout;
    private final Duration stable;
    private final LogCounter log;
    private final CapacityMeter meter = new CapacityMeter();
    private final LeaseWatch watch = new LeaseWatch();
    private final List<FleetWorker> live = new ArrayList<>();
    private final String app;
    private FleetKinesis kinesis;
    private FleetDynamoClients clients;
    private java.net.URI dynamoEndpoint;
    private UnaryOperator<ConsumerConfig.Builder> config;
    private int nextWorker;
    private Map<String, CapacityMeter.Totals> steadyOps;
    private double steadySeconds;
    /** The meter when {@link #awaitConverged} first saw every lease held by exactly one worker, and when. */
    private Map<String, CapacityMeter.Totals> firstOwned;
    private long firstOwnedMillis;

    private FleetSimulation(Map<String, String> opts, LogCounter log) {
        this.opts = opts;
        this.log = log;
        this.workerCount = Integer.parseInt(opts.getOrDefault("--workers", "10"));
        this.shards = Integer.parseInt(opts.getOrDefault("--shards", "200"));
        int streamCount = Integer.parseInt(opts.getOrDefault("--streams", "1"));
        for (int i = 0; i < streamCount; i++) {
            streams.add(streamCount == 1 ? "fleet" : "fleet-" + i);
        }
        this.timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("--timeout-seconds", "300")));
        this.stable = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("--stable-seconds", "3")));
        this.app = opts.getOrDefault("--app", "fleet-sim");
    }

    public static void main(String[] args) throws Exception {
        LogCounter log = LogCounter.install();
        Map<String, String> opts = parse(args);
        new FleetSimulation(opts, log).run();
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

    private void run() throws Exception {
        List<String> phases = List.of(opts.getOrDefault("--phases", "start,steady,join,leave,kill,close-all")
                .split(","));
        Map<String, Integer> perStream = new LinkedHashMap<>();
        for (int i = 0; i < streams.size(); i++) {
            perStream.put(streams.get(i), shards / streams.size() + (i < shards % streams.size() ? 1 : 0));
        }
        long failover = Long.parseLong(opts.getOrDefault("--failover-seconds", "10"));
        config = b -> {
            ConsumerConfig.Builder c = b.failoverTime(Duration.ofSeconds(failover));
            if (opts.containsKey("--idle-time-between-reads-ms")) {
                c.idleTimeBetweenReads(Duration.ofMillis(Long.parseLong(opts.get("--idle-time-between-reads-ms"))));
            }
            return c;
        };
        System.out.printf("== Fleet simulation: %d workers, %d shards in %d stream(s) %s%s, failover %d s%n",
                workerCount, shards, streams.size(), perStream, streams.size() > 1 ? " (multi-stream mode)" : "",
                failover);
        machine();
        try (DynamoDbEndpoint ddb = DynamoDbEndpoint.start(Boolean.parseBoolean(opts.getOrDefault(
                "--dynamodb-process", "false")))) {
            dynamoEndpoint = ddb.endpoint();
            String mode = opts.getOrDefault("--dynamodb-clients", "shared");
            clients = new FleetDynamoClients(dynamoEndpoint, meter, mode, Integer.parseInt(opts.getOrDefault(
                    "--dynamodb-connections", mode.equals("shared") ? "256" : "16")));
            try (FleetDynamoClients closedAtTheEnd = clients) {
                System.out.println("DynamoDB Local: " + ddb + "; " + clients);
                kinesis = new FleetKinesis(perStream, Long.parseLong(opts.getOrDefault("--kinesis-latency-ms", "5")));
                runPhases(phases);
            }
        }
    }

    private void runPhases(List<String> phases) throws Exception {
        for (String phase : phases) {
            switch (phase.trim()) {
                case "start" -> start();
                case "steady" -> steady();
                case "join" -> join();
                case "leave" -> leave();
                case "kill" -> kill();
                case "close-all" -> closeAll();
                default -> throw new IllegalArgumentException("unknown phase " + phase);
            }
        }
    }

    // ------------------------------------------------------------------ phases

    private void start() throws InterruptedException {
        List<FleetWorker> starting = new ArrayList<>();
        for (int i = 0; i < workerCount; i++) {
            starting.add(newWorker());
        }
        Phase p = new Phase("start");
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentLinkedQueue<Long> startMillis = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (FleetWorker w : starting) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    long s = System.nanoTime();
                    w.start();
                    startMillis.add((System.nanoTime() - s) / 1_000_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failures.add(w.id() + ": " + e);
                }
            }, "fleet-start-" + w.id());
            threads.add(t);
            t.start();
        }
        live.addAll(starting);
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long allStarted = (System.nanoTime() - t0) / 1_000_000;
        if (!failures.isEmpty()) {
            throw new IllegalStateException("start() failed: " + failures);
        }
        long converged = awaitConverged(t0);
        List<Long> sorted = startMillis.stream().sorted().toList();
        System.out.printf("start(): %d workers, median %d ms, slowest %d ms; all returned %d ms after the first call%s%n",
                sorted.size(), sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2),
                sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1), allStarted,
                failures.isEmpty() ? "" : "; FAILED: " + failures);
        System.out.printf("converged %s after the first start() (%s after the last start() returned)%n",
                ms(converged), converged < 0 ? "-" : ms(converged - allStarted));
        Map<String, CapacityMeter.Totals> owned = firstOwned == null ? null
                : CapacityMeter.difference(firstOwned, p.ops);
        long ownedAt = firstOwnedMillis;
        Map<String, CapacityMeter.Totals> ops = p.end();
        if (owned != null) {
            startWrites("until every lease was owned (" + ms(ownedAt) + ")", owned);
        }
        startWrites("until converged", ops);
    }

    /** Start-up writes per lease; UpdateItem includes the renewals of leases already owned by then. */
    private void startWrites(String window, Map<String, CapacityMeter.Totals> ops) {
        CapacityMeter.Totals puts = ops.getOrDefault("PutItem", zero());
        CapacityMeter.Totals updates = ops.getOrDefault("UpdateItem", zero());
        System.out.printf(Locale.ROOT, "start-up writes %s: %d PutItem (%d failed), %d UpdateItem (%d failed, "
                        + "renewals included): %.2f PutItem + %.2f UpdateItem per lease%n", window, puts.calls(),
                puts.failed(), updates.calls(), updates.failed(), (double) puts.calls() / shards,
                (double) updates.calls() / shards);
    }

    private void steady() throws InterruptedException {
        long settle = Long.parseLong(opts.getOrDefault("--settle-seconds", "5"));
        long window = Long.parseLong(opts.getOrDefault("--steady-seconds", "60"));
        Thread.sleep(settle * 1000);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        Phase p = new Phase("steady");
        Thread.sleep(window * 1000);
        long cpu1 = os.getProcessCpuTime();
        steadySeconds = (System.nanoTime() - p.startNanos) / 1e9;
        steadyOps = p.end();
        double hours = steadySeconds / 3600;
        System.out.printf(Locale.ROOT, "%-14s %9s %10s %12s %12s %12s %12s%n", "per hour", "calls", "RCU", "WCU",
                "RCU/shard", "WCU/shard", "(WCU: +1 per failed condition)");
        double rcu = 0;
        double wcu = 0;
        for (Map.Entry<String, CapacityMeter.Totals> e : steadyOps.entrySet()) {
            CapacityMeter.Totals t = e.getValue();
            rcu += t.rcu();
            wcu += t.wcuCharged();
            System.out.printf(Locale.ROOT, "%-14s %9.0f %10.0f %12.0f %12.1f %12.1f%n", e.getKey(), t.calls() / hours,
                    t.rcu() / hours, t.wcuCharged() / hours, t.rcu() / hours / shards,
                    t.wcuCharged() / hours / shards);
        }
        System.out.printf(Locale.ROOT, "%-14s %9s %10.0f %12.0f %12.1f %12.1f%n", "total", "", rcu / hours,
                wcu / hours, rcu / hours / shards, wcu / hours / shards);
        Map<String, Long> k0 = p.kinesisAtStart;
        Map<String, Long> k1 = kinesis.callCounts();
        double minutes = steadySeconds / 60;
        System.out.printf(Locale.ROOT, "Kinesis calls per minute: ListShards %.1f, DescribeStreamSummary %.1f, "
                        + "GetShardIterator %.1f, GetRecords %.0f%n",
                delta(k1, k0, "ListShards") / minutes, delta(k1, k0, "DescribeStreamSummary") / minutes,
                delta(k1, k0, "GetShardIterator") / minutes, delta(k1, k0, "GetRecords") / minutes);
        if (streams.size() > 1) {
            perStream(k0, k1, minutes);
        }
        System.gc();
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.out.printf(Locale.ROOT, "harness JVM (workers%s): %.2f cores busy over the window, "
                        + "heap used after GC %d MB, %d threads%n",
                Boolean.parseBoolean(opts.getOrDefault("--dynamodb-process", "false")) ? "" : " + DynamoDB Local",
                (cpu1 - cpu0) / 1e9 / steadySeconds,
                mem.getHeapMemoryUsage().getUsed() >> 20, ManagementFactory.getThreadMXBean().getThreadCount());
        models(rcu / hours, wcu / hours);
    }

    /** Several streams: ListShards per minute (its limit is per stream) and how each stream's leases are spread. */
    private void perStream(Map<String, Long> k0, Map<String, Long> k1, double minutes) {
        Map<String, List<Integer>> perWorker = new LinkedHashMap<>();
        for (String stream : streams) {
            perWorker.put(stream, new ArrayList<>());
        }
        for (FleetWorker w : live) {
            Map<String, Integer> n = new HashMap<>();
            w.heldLeases().forEach(l -> n.merge(FleetWorker.streamOf(l), 1, Integer::sum));
            perWorker.forEach((stream, counts) -> counts.add(n.getOrDefault(stream, 0)));
        }
        for (String stream : streams) {
            List<Integer> counts = perWorker.get(stream);
            int held = counts.stream().mapToInt(Integer::intValue).sum();
            System.out.printf(Locale.ROOT, "stream %s: ListShards %.1f/min, DescribeStreamSummary %.1f/min; "
                            + "%d leases held, per worker %d..%d%n", stream,
                    delta(k1, k0, "ListShards@" + stream) / minutes,
                    delta(k1, k0, "DescribeStreamSummary@" + stream) / minutes, held,
                    counts.stream().mapToInt(Integer::intValue).min().orElse(0),
                    counts.stream().mapToInt(Integer::intValue).max().orElse(0));
        }
    }

    private void join() throws InterruptedException {
        FleetWorker w = newWorker();
        Phase p = new Phase("join (+1 worker: " + w.id() + ")");
        live.add(w);
        long t0 = System.nanoTime();
        w.start();
        System.out.printf("start() of the joiner took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        System.out.printf("converged %s after start()%n", ms(awaitConverged(t0)));
        p.end();
    }

    private void leave() throws InterruptedException {
        FleetWorker w = lowest();
        Phase p = new Phase("leave (close() of " + w.id() + ")");
        live.remove(w);
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong closeMillis = new java.util.concurrent.atomic.AtomicLong();
        Thread closing = new Thread(() -> {
            w.close();
            closeMillis.set((System.nanoTime() - t0) / 1_000_000);
        }, "fleet-close-" + w.id());
        closing.start();
        long converged = awaitConverged(t0);
        closing.join();
        System.out.printf("close() took %d ms; converged %s after close() began%n", closeMillis.get(),
                ms(converged));
        p.end();
    }

    private void kill() throws InterruptedException {
        FleetWorker w = lowest();
        Phase p = new Phase("kill (kill -9 of " + w.id() + ", the lowest id)");
        Set<String> held = w.heldLeases();
        live.remove(w);
        long t0 = System.nanoTime();
        String how = w.kill();
        long deadline = t0 + timeout.toNanos();
        long takeover;
        while ((takeover = watch.takenOverMillis(held, w.id(), t0)) < 0 && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
        }
        long converged = awaitConverged(t0);
        System.out.printf("killed by %s; its %d leases all processed again (initialize elsewhere) %s after the kill; "
                + "converged %s after the kill%n", how, held.size(), ms(takeover), ms(converged));
        p.end();
    }

    private void closeAll() throws InterruptedException {
        Phase p = new Phase("close-all (" + live.size() + " workers close() at once)");
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (FleetWorker w : live) {
            Thread t = new Thread(w::close, "fleet-close-" + w.id());
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        live.clear();
        System.out.printf("all closed in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        p.end();
    }

    // ------------------------------------------------------------------ helpers

    private FleetWorker newWorker() {
        return new FleetWorker(String.format("w%05d", nextWorker++), streams, kinesis, clients.next(), config, app,
                watch);
    }

    private FleetWorker lowest() {
        return live.stream().min(Comparator.comparing(FleetWorker::id)).orElseThrow();
    }

    /**
     * Waits until every lease is held by exactly one live worker and each holds within one lease of the fair share,
     * continuously for {@link #stable}; returns ms from {@code t0} to the start of that stretch, or -1 on timeout.
     */
    private long awaitConverged(long t0) throws InterruptedException {
        firstOwned = null;
        firstOwnedMillis = -1;
        long deadline = t0 + timeout.toNanos();
        long since = -1;
        LeaseWatch.Balance b = null;
        while (System.nanoTime() < deadline) {
            List<Set<String>> held = new ArrayList<>();
            for (FleetWorker w : live) {
                held.add(w.heldLeases());
            }
            b = LeaseWatch.Balance.of(held, shards);
            long now = System.nanoTime();
            if (b.owned() && firstOwned == null) {
                firstOwned = meter.snapshot();
                firstOwnedMillis = (now - t0) / 1_000_000;
            }
            if (!b.fair()) {
                since = -1;
            } else if (since < 0) {
                since = now;
            } else if (now - since >= stable.toNanos()) {
                return (since - t0) / 1_000_000;
            }
            Thread.sleep(POLL_MILLIS);
        }
        System.out.println("NOT converged within " + timeout + ": " + b);
        return -1;
    }

    private void models(double rcuPerHour, double wcuPerHour) {
        ScanStats rows = scanLeaseRows();
        System.out.printf(Locale.ROOT, "lease rows: %d, average %.0f bytes; keys-only GSI row (leaseKey, leaseOwner) "
                + "%.0f bytes (DynamoDB's size rules)%n", rows.count, rows.itemBytes, rows.keysBytes);
        int w = live.size();
        FleetCostModel.Cost k3 = FleetCostModel.kcl3(shards, w, rows.itemBytes, rows.keysBytes);
        FleetCostModel.Cost k2 = FleetCostModel.kcl2(shards, w, rows.itemBytes);
        System.out.printf(Locale.ROOT, "%-34s %12s %12s %12s %12s%n", "model per hour", "RCU", "WCU", "RCU/shard",
                "WCU/shard");
        row("this consumer (measured)", rcuPerHour, wcuPerHour);
        row("KCL 3.x model", k3.readsPerHour(), k3.writesPerHour());
        FleetCostModel.Cost k3d = FleetCostModel.kcl3(shards, w, rows.itemBytes, rows.keysBytes,
                FleetCostModel.KCL3_DISCOVERY_SECONDS);
        row("KCL 3.x, GSI query every 9.975 s", k3d.readsPerHour(), k3d.writesPerHour());
        row("KCL 2.x model", k2.readsPerHour(), k2.writesPerHour());
        System.out.printf(Locale.ROOT, "reads: %.1fx the KCL 3.x model, %.2fx the KCL 2.x model%n",
                rcuPerHour / k3.readsPerHour(), rcuPerHour / k2.readsPerHour());
        System.out.println("models (eventually consistent reads, 0.5 RCU per 4 KB per call, 1 WCU per 1 KB write): "
                + "KCL 3.x = leader Scan every 20 s + each worker one keys-only GSI Query (leaseOwner = me) every "
                + "20 s (KCL 3.x's own discovery runs every 9,975 ms: twice that part) + renewal of each lease every "
                + "3,308 ms + one worker-metrics write per worker every 30 s (leader lock and metrics-table reads "
                + "left out); KCL 2.x = every worker Scans every 20 s + the same renewals");
    }

    private void row(String name, double rcu, double wcu) {
        System.out.printf(Locale.ROOT, "%-34s %12.0f %12.0f %12.1f %12.1f%n", name, rcu, wcu, rcu / shards,
                wcu / shards);
    }

    private record ScanStats(long count, double itemBytes, double keysBytes) {
    }

    /** Every lease table's rows, read with a client the meter does not count. */
    private ScanStats scanLeaseRows() {
        long count = 0;
        long bytes = 0;
        long keys = 0;
        Set<String> tables = new java.util.TreeSet<>();
        for (FleetWorker w : live) {
            tables.addAll(w.leaseTables());
        }
        try (DynamoDbAsyncClient plain = DynamoDbAsyncClient.builder()
                .endpointOverride(dynamoEndpoint).region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("dummy", "dummy")))
                .build()) {
            for (String table : tables) {
                Map<String, AttributeValue> start = null;
                do {
                    ScanResponse r = plain.scan(ScanRequest.builder().tableName(table).exclusiveStartKey(start)
                            .build()).join();
                    for (Map<String, AttributeValue> item : r.items()) {
                        count++;
                        bytes += FleetCostModel.itemBytes(item);
                        keys += FleetCostModel.itemBytes(item.entrySet().stream()
                                .filter(e -> e.getKey().equals("leaseKey") || e.getKey().equals("leaseOwner"))
                                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
                    }
                    start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
                } while (start != null);
            }
        }
        return new ScanStats(count, count == 0 ? 0 : (double) bytes / count, count == 0 ? 0 : (double) keys / count);
    }

    private static CapacityMeter.Totals zero() {
        return new CapacityMeter.Totals(0, 0, 0, 0, 0);
    }

    private static long delta(Map<String, Long> later, Map<String, Long> earlier, String op) {
        return later.getOrDefault(op, 0L) - earlier.getOrDefault(op, 0L);
    }

    private static String ms(long millis) {
        return millis < 0 ? "NOT within the timeout" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static void machine() {
        System.out.printf("machine: %d cores (nproc), %s, %s; java %s; max heap %d MB%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), memory(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String memory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal")
                    || l.startsWith("MemAvailable")).map(l -> l.replaceAll("\\s+", " ")).reduce((a, b) -> a + ", " + b)
                    .orElse("memory unknown");
        } catch (IOException e) {
            return "memory unknown";
        }
    }

    /** One phase: what it cost in DynamoDB calls, lease moves and log lines, printed at its end. */
    private final class Phase {
        final String name;
        final long startNanos = System.nanoTime();
        final Map<String, CapacityMeter.Totals> ops = meter.snapshot();
        final Map<String, Long> kinesisAtStart = kinesis.callCounts();
        final long moves = watch.moves();
        final long inits = watch.initializations();
        final long warnings = log.warnings();
        final long errors = log.errors();

        Phase(String name) {
            this.name = name;
            log.takeExamples();
            System.out.println("-- " + name);
        }

        Map<String, CapacityMeter.Totals> end() {
            Map<String, CapacityMeter.Totals> d = CapacityMeter.difference(meter.snapshot(), ops);
            StringBuilder s = new StringBuilder();
            d.forEach((op, t) -> {
                if (t.calls() > 0) {
                    s.append(String.format(Locale.ROOT, " %s %d%s (%.1f RCU, %.1f WCU%s)", op, t.calls(),
                            t.failed() > 0 ? " [" + t.failed() + " failed]" : "", t.rcu(), t.wcu(),
                            t.conditionFailed() > 0 ? " +" + t.conditionFailed() + " est." : ""));
                }
            });
            System.out.printf(Locale.ROOT, "[%s] %.1f s; DynamoDB:%s%n", name, (System.nanoTime() - startNanos) / 1e9,
                    s);
            System.out.printf("[%s] lease moves %d, processor initializations %d; WARN lines %d, ERROR lines %d%n",
                    name, watch.moves() - moves, watch.initializations() - inits, log.warnings() - warnings,
                    log.errors() - errors);
            for (String line : log.takeExamples()) {
                System.out.println("   e.g. " + line);
            }
            return d;
        }
    }
}
