package io.purekinesis.samples;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RetrievalMode;
import io.purekinesis.micrometer.MicrometerConsumerMetrics;
import io.purekinesis.micrometer.MicrometerProducerMetrics;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerClosedException;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.samples.Ledger.Reconciliation;
import io.purekinesis.testkit.EmulatorFanOut;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * The one-command local demo: starts a local Kinesis and DynamoDB Local, creates a 4-shard stream, produces
 * records of 200 keys (aggregated) while two consumer workers of one application process them, splits a shard a
 * third of the way through, stops one worker gracefully two thirds through (its leases move to the other), then
 * stops producing, waits until everything acknowledged was consumed and reconciles record by record: nothing may be
 * lost, and no key's records may be consumed out of order. Prints progress once a second; the last line is
 * {@code RESULT produced=.. acknowledged=.. consumed=.. duplicates=.. deadLettered=.. lost=..}, after a metrics
 * summary read from the Micrometer registry the producer and the workers report to. Exits 0 only when the
 * reconciliation is clean.
 *
 * <p>Known: around the split, records whose aggregate the producer predicted for the parent shard but which landed
 * in the child not covering their key are resent by the producer, and can then be stored behind newer records of
 * their key. The demo counts such records ("resent") and says which order violations they explain; a violation is
 * still a failure.
 *
 * <pre>
 * mvn -B -q install -DskipTests &amp;&amp; mvn -B -q -pl samples exec:java@demo
 * mvn -B -q -pl samples exec:java@demo -Dexec.args=--short
 * mvn -B -q -pl samples exec:java@demo -Dexec.args=--fan-out
 * </pre>
 * With {@code --fan-out} the workers read with enhanced fan-out (SubscribeToShard) instead of polling, through the
 * testkit's {@link EmulatorFanOut} (the emulator never ends a split shard's subscription; Kinesis does).
 */
public final class LocalDemo {

    static final String USAGE = "LocalDemo [--short] [--fan-out] [--records N] [--rate RECORDS_PER_S]"
            + " [--duration 60s] [--record-size BYTES]";
    static final String STREAM = "purekinesis-demo";
    static final String APPLICATION = "purekinesis-demo-app";
    static final int SHARDS = 4;
    static final int KEYS = 200;
    /** The error code the producer records on an attempt whose aggregate landed in an unexpected shard. */
    static final String WRONG_SHARD = "WrongShard";
    private static final Duration FAILOVER_TIME = Duration.ofSeconds(4);
    private static final Duration RENEWAL_INTERVAL = Duration.ofSeconds(1);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration WORKER_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    /**
     * How much to produce and how fast; the split and the worker stop happen after a third and two thirds of the
     * records.
     */
    record Options(int records, int rate, int recordSize, Duration drainTimeout, RetrievalMode retrievalMode) {

        static final Options DEFAULT = new Options(30_000, 500, 100, Duration.ofSeconds(60), RetrievalMode.POLLING);
        static final Options SHORT = new Options(3_000, 300, 100, Duration.ofSeconds(30), RetrievalMode.POLLING);

        Options {
            if (records < 3 || rate < 1 || recordSize < 1) {
                throw new IllegalArgumentException("records must be at least 3, rate and recordSize at least 1");
            }
        }

        static Options parse(String[] args) {
            Flags flags = Flags.parse(args, Set.of("--records", "--rate", "--duration", "--record-size"),
                    Set.of("--short", "--fan-out"));
            Options base = flags.has("--short") ? SHORT : DEFAULT;
            if (flags.has("--duration") && flags.has("--records")) {
                throw new IllegalArgumentException("flags --duration and --records exclude each other: give one");
            }
            int rate = (int) flags.number("--rate", base.rate(), 1, 20_000);
            long records = flags.duration("--duration").map(d -> d.toMillis() * rate / 1000)
                    .orElse(flags.number("--records", base.records(), 3, 1_000_000));
            if (records < 3 || records > 1_000_000) {
                throw new IllegalArgumentException("flag --duration gives " + records + " records at --rate " + rate
                        + "; it must give 3 to 1000000");
            }
            int size = (int) flags.number("--record-size", base.recordSize(), 32, 100_000);
            return new Options((int) records, rate, size, base.drainTimeout(),
                    flags.has("--fan-out") ? RetrievalMode.FAN_OUT : RetrievalMode.POLLING);
        }
    }

    private final Options options;
    private final PrintStream out;
    private final Ledger ledger;
    /** What the producer and the workers report through purekinesis-micrometer; the summary at the end reads it. */
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean stopProducing = new AtomicBoolean();
    private final List<KinesisConsumer> workers = new ArrayList<>();
    private final List<String> workerNames = new ArrayList<>();
    private final List<String> workerState = new ArrayList<>();
    private LocalEndpoints endpoints;
    private KinesisProducer producer;
    private boolean cleanedUp;
    /** Set by Ctrl-C: the main thread stops printing and returns, the shutdown hook cleans up. */
    private volatile boolean aborted;

    LocalDemo(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
        this.ledger = new Ledger(options.records(), KEYS);
    }

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // the screen is for the demo
        }
        Options options = Flags.parseOrExit(args, Options::parse, USAGE);
        LocalDemo demo = new LocalDemo(options, System.out);
        Thread hook = new Thread(demo::abort, "local-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Reconciliation result;
        try {
            result = demo.execute();
        } catch (RuntimeException | InterruptedException e) {
            System.out.println("The demo failed: " + e);
            e.printStackTrace(System.out);
            demo.cleanUp(Duration.ofSeconds(5));
            Runtime.getRuntime().removeShutdownHook(hook);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        System.exit(result.ok() ? 0 : 1);
    }

    /** Runs the demo in this JVM, printing to stdout, and always cleans up. Never calls System.exit. */
    public static Reconciliation run(Options options) throws InterruptedException {
        return run(options, System.out);
    }

    static Reconciliation run(Options options, PrintStream out) throws InterruptedException {
        LocalDemo demo = new LocalDemo(options, out);
        try {
            return demo.execute();
        } finally {
            demo.cleanUp(Duration.ofSeconds(5));
        }
    }

    /** The whole demo; prints the reconciliation last. */
    Reconciliation execute() throws InterruptedException {
        out.printf("purekinesis local demo: %,d records of %d bytes, %d keys, %d records/s into a %d-shard stream,"
                + " two consumer workers%n", options.records(), options.recordSize(), KEYS, options.rate(), SHARDS);
        out.println("Starting a local Kinesis (node) and DynamoDB Local...");
        LocalEndpoints started = startQuietly();
        synchronized (this) {
            endpoints = started;
            if (cleanedUp) {
                started.close();
                throw new IllegalStateException("interrupted while starting");
            }
        }
        KinesisAsyncClient kinesis = endpoints.kinesisAsyncClient();
        out.printf("  Kinesis %s, DynamoDB %s (%.1f s)%n", endpoints.kinesis().endpoint(),
                endpoints.dynamoDb().endpoint(), seconds());
        Streams.createStream(kinesis, STREAM, SHARDS);
        out.printf("Stream %s created with %d shards; starting worker-1 and worker-2 of application %s%n", STREAM,
                SHARDS, APPLICATION);
        startWorker("worker-1");
        startWorker("worker-2");
        synchronized (this) {
            producer = KinesisProducer.create(ProducerConfig.builder()
                    .kinesisClient(kinesis)
                    .producerName("demo")
                    .deadLetterHandler(failed -> ledger.deadLettered())
                    .metrics(MicrometerProducerMetrics.builder(registry).build())
                    .build());
        }
        Thread producing = new Thread(this::produce, "demo-producing");
        producing.setDaemon(true);
        producing.start();

        int third = options.records() / 3;
        boolean split = false;
        CompletableFuture<Void> workerStop = null;
        long nextTick = System.nanoTime();
        long[] last = new long[4];
        while (producing.isAlive() && !aborted) {
            nextTick += TimeUnit.SECONDS.toNanos(1);
            sleepUntil(nextTick, producing);
            progress(last);
            if (!split && ledger.producedCount() >= third) {
                split = true;
                splitShard(kinesis);
            }
            if (workerStop == null && ledger.producedCount() >= 2L * third) {
                workerStop = stopWorker(1);
            }
        }
        if (aborted) {
            return ledger.reconcile();
        }
        out.printf("Producing done: %,d records added; flushing...%n", ledger.producedCount());
        producer.flushSync(FLUSH_TIMEOUT);
        if (workerStop == null) {
            workerStop = stopWorker(1);
        }
        out.println("Waiting until every acknowledged record was consumed (at most "
                + options.drainTimeout().toSeconds() + " s)...");
        long drainDeadline = System.nanoTime() + options.drainTimeout().toNanos();
        nextTick = System.nanoTime();
        while (!aborted && System.nanoTime() - drainDeadline < 0
                && (ledger.missing() > 0 || !workerStop.isDone())) {
            nextTick += TimeUnit.SECONDS.toNanos(1);
            sleepUntil(nextTick, null);
            progress(last);
        }
        if (aborted) {
            return ledger.reconcile();
        }
        long missing = ledger.missing();
        out.println(missing == 0 ? "All acknowledged records consumed; shutting down..."
                : "Gave up waiting: " + missing + " acknowledged records not consumed; shutting down...");
        cleanUp(WORKER_SHUTDOWN_TIMEOUT);
        double seconds = seconds();
        List<String> names;
        synchronized (this) {
            names = List.copyOf(workerNames);
        }
        for (String worker : names) {
            long failed = MetricsSummary.failedShards(registry, worker);
            if (failed > 0) {
                ledger.problem(worker + " stopped processing " + failed + " shard(s): its processor kept failing"
                        + " (the ERROR log names shard and cause)");
            }
        }
        Reconciliation r = ledger.reconcile();
        MetricsSummary.print(registry, names, out);
        out.println("---- reconciliation ----");
        out.printf("produced      %,d records (%d keys, %d bytes each)%n", r.produced(), KEYS, options.recordSize());
        out.printf("acknowledged  %,d (producer futures succeeded)%n", r.acknowledged());
        out.printf("consumed      %,d distinct records in %,d deliveries: %,d duplicates%n", r.consumed(),
                ledger.deliveryCount(), r.duplicates());
        out.printf("dead-lettered %,d%n", r.deadLettered());
        out.printf("lost          %,d (acknowledged, never consumed)%n", r.lost());
        out.printf("key order     %,d violations (a key's sequence numbers going backwards)%n", r.orderViolations());
        if (r.resent() > 0) {
            out.printf("resent        %,d records the producer sent again after the split (their aggregate landed in"
                    + " the child shard not covering their key)%n", r.resent());
        }
        if (r.orderViolations() > 0) {
            out.printf("              %,d of the %,d late records are such resends: the producer put them behind"
                    + " newer records of their key%n", r.violationsAfterResend(), r.orderViolations());
        }
        if (r.consumedNotAcknowledged() > 0) {
            out.printf("note          %,d records were consumed though their futures failed%n",
                    r.consumedNotAcknowledged());
        }
        r.problems().forEach(p -> out.println("problem       " + p));
        out.printf("%s in %.1f s%n", r.ok() ? "OK: nothing lost, every key in order"
                : "FAILED: see the lines above", seconds);
        out.println(r.resultLine());
        return r;
    }

    /** Starts the endpoints, hiding the configuration banner DynamoDB Local prints to stdout (shown on failure). */
    private static LocalEndpoints startQuietly() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream banner = new ByteArrayOutputStream();
        System.setOut(new PrintStream(banner, true, StandardCharsets.UTF_8));
        boolean started = false;
        try {
            LocalEndpoints endpoints = LocalEndpoints.start();
            started = true;
            return endpoints;
        } finally {
            System.setOut(stdout);
            if (!started) {
                stdout.print(banner.toString(StandardCharsets.UTF_8));
            }
        }
    }

    private void produce() {
        long start = System.nanoTime();
        try {
            for (int n = 0; n < options.records() && !stopProducing.get(); n++) {
                long due = start + n * 1_000_000_000L / options.rate();
                long wait = due - System.nanoTime();
                if (wait > 1_000_000) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int record = n;
                producer.add(STREAM, ledger.partitionKeyOf(n), ledger.payload(n, options.recordSize()))
                        .whenComplete((result, error) -> {
                            if (error == null) {
                                ledger.acknowledged(record, result.attempts().stream()
                                        .anyMatch(a -> WRONG_SHARD.equals(a.errorCode())));
                            } else {
                                ledger.failed();
                            }
                        });
                ledger.produced();
            }
        } catch (ProducerClosedException | InterruptedException e) {
            // stopped by Ctrl-C
        } catch (RuntimeException e) {
            ledger.problem("producing stopped: " + e);
        }
    }

    private void startWorker(String name) {
        KinesisConsumer worker = new KinesisConsumer(ConsumerConfig.builder()
                .applicationName(APPLICATION)
                .streamName(STREAM)
                .workerId(name)
                .initialPosition(InitialPosition.trimHorizon())
                .failoverTime(FAILOVER_TIME)
                .leaseRenewalInterval(RENEWAL_INTERVAL)
                .idleTimeBetweenReads(Duration.ofMillis(250))
                .shardSyncInterval(Duration.ofSeconds(5))
                .retrievalMode(options.retrievalMode())
                .kinesisClient(options.retrievalMode() == RetrievalMode.FAN_OUT
                        ? new EmulatorFanOut(endpoints.kinesisAsyncClient()).client() : endpoints.kinesisAsyncClient())
                .dynamoDbClient(endpoints.dynamoDbAsyncClient())
                .metrics(MicrometerConsumerMetrics.builder(registry).stream(STREAM)
                        .commonTags(Tags.of(MetricsSummary.WORKER_TAG, name)).build())
                .build(), () -> new LedgerProcessor(ledger));
        synchronized (this) {
            workers.add(worker);
            workerNames.add(name);
            workerState.add(null);
        }
        worker.start();
    }

    private CompletableFuture<Void> stopWorker(int index) {
        String name = workerNames.get(index);
        KinesisConsumer worker = workers.get(index);
        if (aborted) {
            return worker.shutdown();
        }
        out.printf(">>> Stopping %s gracefully (it checkpoints and releases %d leases): %s takes them over%n", name,
                worker.heldLeases().size(), workerNames.get(0));
        synchronized (this) {
            workerState.set(index, "stopping");
        }
        long start = System.nanoTime();
        return worker.shutdown().whenComplete((v, e) -> {
            synchronized (this) {
                workerState.set(index, "stopped");
            }
            out.printf(">>> %s stopped after %.1f s%s%n", name, (System.nanoTime() - start) / 1e9,
                    e == null ? "" : " with " + e);
        });
    }

    private void splitShard(KinesisAsyncClient kinesis) {
        try {
            Shard parent = kinesis.listShards(b -> b.streamName(STREAM)).join().shards().stream()
                    .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null)
                    .findFirst().orElseThrow();
            BigInteger low = new BigInteger(parent.hashKeyRange().startingHashKey());
            BigInteger high = new BigInteger(parent.hashKeyRange().endingHashKey());
            BigInteger middle = low.add(high).add(BigInteger.ONE).shiftRight(1);
            long start = System.nanoTime();
            kinesis.splitShard(b -> b.streamName(STREAM).shardToSplit(parent.shardId())
                    .newStartingHashKey(middle.toString())).join();
            Streams.waitForActive(kinesis, STREAM, Duration.ofSeconds(30));
            List<String> children = kinesis.listShards(b -> b.streamName(STREAM)).join().shards().stream()
                    .filter(s -> parent.shardId().equals(s.parentShardId())).map(Shard::shardId).toList();
            out.printf(">>> Split %s at the middle of its hash range into %s (ACTIVE again after %d ms);"
                    + " the consumers finish the parent, then read the children%n", parent.shardId(), children,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            ledger.problem("split failed: " + e);
            out.println(">>> Split failed: " + e);
        }
    }

    /** One progress line; {@code last} holds the previous line's counts and time, for the per-second rates. */
    private void progress(long[] last) {
        if (aborted) {
            return;
        }
        long now = System.nanoTime();
        long produced = ledger.producedCount();
        long acked = ledger.acknowledgedCount();
        long consumed = ledger.consumedCount();
        double interval = last[3] == 0 ? 1 : Math.max(0.001, (now - last[3]) / 1e9);
        StringBuilder leases = new StringBuilder();
        synchronized (this) {
            for (int i = 0; i < workers.size(); i++) {
                String state = workerState.get(i);
                leases.append(' ').append(workerNames.get(i)).append('=')
                        .append(state != null ? state : Integer.toString(workers.get(i).heldLeases().size()));
            }
        }
        out.printf(Locale.ROOT, "%4.0fs  produced %6d %5.0f/s  acked %6d %5.0f/s  consumed %6d %5.0f/s  lag %5d"
                        + "  leases%s%n", seconds(), produced, (produced - last[0]) / interval, acked,
                (acked - last[1]) / interval, consumed, (consumed - last[2]) / interval,
                Math.max(0, acked - consumed), leases);
        last[0] = produced;
        last[1] = acked;
        last[2] = consumed;
        last[3] = now;
    }

    /** Ctrl-C (shutdown hook): stops everything the demo started and says how far it got. */
    void abort() {
        aborted = true;
        out.println();
        out.println("Interrupted: stopping the workers, the producer and the local endpoints...");
        cleanUp(Duration.ofSeconds(5));
        out.printf("Stopped early after %.0f s: %,d produced, %,d acknowledged, %,d consumed. Everything the demo"
                + " started is stopped.%n", seconds(), ledger.producedCount(), ledger.acknowledgedCount(),
                ledger.consumedCount());
    }

    /**
     * Stops what is still running: the workers (gracefully, within {@code timeout}), the producer (sending what is
     * buffered for up to 10 s) and the local endpoints. Safe to call more than once and from a shutdown hook.
     */
    synchronized void cleanUp(Duration timeout) {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        stopProducing.set(true);
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (KinesisConsumer worker : workers) {
            stopping.add(worker.shutdown());
        }
        try {
            CompletableFuture.allOf(stopping.toArray(new CompletableFuture<?>[0]))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            out.println("Workers did not stop gracefully within " + timeout.toSeconds() + " s: " + e);
            for (KinesisConsumer worker : workers) {
                worker.close(Duration.ofMillis(100));
            }
        }
        if (producer != null) {
            List<FailedRecord> undelivered = producer.close(Duration.ofSeconds(10));
            if (!undelivered.isEmpty()) {
                out.printf("Producer closed with %,d records undelivered%n", undelivered.size());
            }
        }
        if (endpoints != null) {
            endpoints.close();
        }
    }

    private double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void sleepUntil(long deadline, Thread stopEarlyWhenDead) throws InterruptedException {
        while (System.nanoTime() - deadline < 0) {
            if (stopEarlyWhenDead != null && !stopEarlyWhenDead.isAlive()) {
                return;
            }
            Thread.sleep(Math.min(50, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
        }
    }

    /** Records every delivery in the ledger; checkpoints after each batch, at a shard's end and at shutdown. */
    static final class LedgerProcessor extends CheckpointingProcessor {

        private final Ledger ledger;

        LedgerProcessor(Ledger ledger) {
            this.ledger = ledger;
        }

        @Override
        void handle(ProcessRecordsInput input) {
            for (KinesisUserRecord record : input.records()) {
                ledger.consumed(record.partitionKey(), record.dataBytes());
            }
        }
    }
}
