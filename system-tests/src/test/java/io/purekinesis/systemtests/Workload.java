package io.purekinesis.systemtests;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.testkit.JvmProcess;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * A producer and a few consumer workers on one fresh stream of the given local endpoints, with every record
 * accounted for in a {@link Ledger}. The life of a test:
 * <pre>{@code
 * try (Workload w = Workload.builder(LocalEndpoints.shared()).name("throttled").kinesisFaults(faults).build()) {
 *     w.startWorker("w1");
 *     w.startWorker("w2");
 *     w.produce(2_000);                                // or startProducer() ... stopProducer()
 *     Reconciliation r = w.finish(Duration.ofSeconds(120));   // close producer, wait, stop workers, reconcile
 *     assertEquals(List.of(), r.problems(false, false));
 * }
 * }</pre>
 *
 * <p>Records: {@code keys} partition keys ({@code k000}, {@code k001}, ...), used round-robin; each payload carries its
 * key and a per-key sequence number ({@link Ledger#payload}). The producer aggregates (KPL format) and, by default,
 * keeps each shard's order behind a failed entry ({@code strictOrdering}), so every key's records are stored, and must
 * be processed, in {@code add} order. Workers read from {@code TRIM_HORIZON}, report each record to the ledger, then
 * checkpoint the batch. Workers run in this JVM ({@link #startWorker}) or in a child JVM ({@link #startChildWorker},
 * which can be killed with SIGKILL).
 *
 * <p>Faults: {@link Builder#kinesisFaults} are attached to the producer's and the in-process workers' Kinesis
 * clients, {@link Builder#dynamoDbFaults} to the workers' DynamoDB client; child workers get none (their fault is
 * the kill). These clients do not retry by themselves ({@link Builder#sdkRetries}), so faults reach our code.
 * Stream creation and deletion use the endpoints' own clients, without faults.
 */
public final class Workload implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
    /** How long a graceful worker stop may take. */
    private static final Duration WORKER_STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration PRODUCER_CLOSE_TIMEOUT = Duration.ofSeconds(90);

    private final LocalEndpoints endpoints;
    private final Builder options;
    private final String stream;
    private final String application;
    private final Ledger ledger = new Ledger();
    private final KinesisAsyncClient producerKinesis;
    private final KinesisAsyncClient consumerKinesis;
    private final DynamoDbAsyncClient consumerDynamoDb;
    private final KinesisProducer producer;
    private final long[] nextSeq;
    private final AtomicLong addedCount = new AtomicLong();
    private final Map<String, KinesisConsumer> workers = new LinkedHashMap<>(); // guarded by this
    private final Map<String, JvmProcess> childWorkers = new LinkedHashMap<>(); // guarded by this
    private final AtomicBoolean producing = new AtomicBoolean();
    private Thread producerThread; // guarded by this
    private boolean producerClosed; // guarded by this

    private Workload(LocalEndpoints endpoints, Builder options) {
        this.endpoints = endpoints;
        this.options = options;
        this.stream = Streams.uniqueStreamName(options.name);
        this.application = "app-" + stream;
        this.nextSeq = new long[options.keys];
        this.producerKinesis = endpoints.kinesisClientBuilder()
                .overrideConfiguration(c -> configure(c, options.kinesisFaults)).build();
        this.consumerKinesis = endpoints.kinesisClientBuilder()
                .overrideConfiguration(c -> configure(c, options.kinesisFaults)).build();
        this.consumerDynamoDb = endpoints.dynamoDbClientBuilder()
                .overrideConfiguration(c -> configure(c, options.dynamoDbFaults)).build();
        Streams.createStream(endpoints.kinesisAsyncClient(), stream, options.shards);
        ProducerConfig.Builder config = ProducerConfig.builder()
                .kinesisClient(producerKinesis)
                .strictOrdering(true)
                .recordTtl(Duration.ofSeconds(90))
                .deadLetterHandler(ledger::deadLettered)
                .producerName(options.name);
        options.producerOptions.accept(config);
        this.producer = KinesisProducer.create(config.build());
        LOG.info("Workload {}: stream {} ({} shards), {} keys, {} records/s", options.name, stream, options.shards,
                options.keys, options.rate);
    }

    private void configure(ClientOverrideConfiguration.Builder c, List<ExecutionInterceptor> faults) {
        faults.forEach(c::addExecutionInterceptor);
        if (!options.sdkRetries) {
            c.retryStrategy(AwsRetryStrategy.doNotRetry());
        }
    }

    /** Starts building a workload on these endpoints (e.g. {@link LocalEndpoints#shared()}). */
    public static Builder builder(LocalEndpoints endpoints) {
        return new Builder(Objects.requireNonNull(endpoints, "endpoints"));
    }

    public String stream() {
        return stream;
    }

    /** The consumer application name, also its lease table. */
    public String application() {
        return application;
    }

    public Ledger ledger() {
        return ledger;
    }

    public LocalEndpoints endpoints() {
        return endpoints;
    }

    // ------------------------------------------------------------------ producer

    /** Adds {@code count} records at the configured rate, on this thread; returns once they are added. */
    public void produce(long count) {
        long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            addNext();
            pace(start, i + 1);
        }
    }

    /** Adds records at the configured rate on a background thread until {@link #stopProducer()}. */
    public synchronized void startProducer() {
        if (producerThread != null) {
            throw new IllegalStateException("The producer thread is already running");
        }
        producing.set(true);
        producerThread = new Thread(() -> {
            long start = System.nanoTime();
            for (long i = 0; producing.get(); i++) {
                addNext();
                pace(start, i + 1);
            }
        }, "workload-" + options.name + "-producer");
        producerThread.setDaemon(true);
        producerThread.start();
    }

    /** Records added so far. */
    public long added() {
        return addedCount.get();
    }

    /**
     * Stops the background producer thread, if any, and closes the producer, which sends what is buffered and waits
     * for it; returns the records it could not deliver (they were dead-lettered too).
     */
    public synchronized List<FailedRecord> stopProducer() {
        producing.set(false);
        if (producerThread != null) {
            join(producerThread);
            producerThread = null;
        }
        if (producerClosed) {
            return List.of();
        }
        producerClosed = true;
        List<FailedRecord> undelivered = producer.close(PRODUCER_CLOSE_TIMEOUT);
        producerKinesis.close();
        return undelivered;
    }

    private void addNext() {
        long n = addedCount.getAndIncrement();
        int keyIndex = (int) (n % options.keys);
        String key = String.format("k%03d", keyIndex);
        long seq;
        synchronized (nextSeq) {
            seq = nextSeq[keyIndex]++;
        }
        Ledger.Id id = new Ledger.Id(key, seq);
        ledger.added(id);
        producer.add(stream, key, Ledger.payload(key, seq, options.recordSize)).whenComplete((result, error) -> {
            if (error == null) {
                ledger.acknowledged(id, result);
            } else {
                ledger.failed(id, error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            }
        });
    }

    private void pace(long startNanos, long done) {
        long due = startNanos + done * 1_000_000_000L / options.rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while producing", e);
            }
        }
    }

    // ------------------------------------------------------------------ workers

    /** Starts a worker in this JVM, with the workload's faults on its clients. */
    public synchronized void startWorker(String workerId) {
        requireNewWorker(workerId);
        ConsumerConfig.Builder config = consumerConfig(application, stream, workerId, options.failoverTime)
                .kinesisClient(consumerKinesis)
                .dynamoDbClient(consumerDynamoDb);
        options.consumerOptions.accept(config);
        KinesisConsumer consumer = new KinesisConsumer(config.build(),
                () -> new RecordingProcessor(workerId, ledger::delivered, this::afterBatch));
        consumer.start();
        workers.put(workerId, consumer);
    }

    /** What an in-process processor does after reporting a batch, before its checkpoint: the processing delay. */
    private void afterBatch() {
        if (options.processingDelay.isZero()) {
            return;
        }
        try {
            Thread.sleep(options.processingDelay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts a worker in a child JVM ({@link ChildWorker}) and returns once it runs. What it processes reaches the
     * ledger through its output, flushed before each checkpoint, so a kill loses no report of a checkpointed record.
     */
    public synchronized JvmProcess startChildWorker(String workerId) {
        requireNewWorker(workerId);
        JvmProcess child = JvmProcess.builder(ChildWorker.class)
                .name("worker-" + workerId)
                .jvmOptions("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Daws.cborEnabled=false",
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .args(endpoints.kinesis().endpoint().toString(), endpoints.dynamoDb().endpoint().toString(),
                        stream, application, workerId, Long.toString(options.failoverTime.toMillis()))
                .logFile(options.logDir.resolve(stream + "-" + workerId + ".log"))
                .readyLine(ChildWorker.READY::equals)
                .onLine(line -> {
                    Ledger.Delivery d = ChildWorker.parse(line);
                    if (d != null) {
                        ledger.delivered(d);
                    }
                })
                .start();
        childWorkers.put(workerId, child);
        return child;
    }

    /** Gracefully stops a worker (its processors checkpoint; its leases are released), in this JVM or a child. */
    public void stopWorker(String workerId) {
        KinesisConsumer consumer;
        JvmProcess child;
        synchronized (this) {
            consumer = workers.remove(workerId);
            child = childWorkers.remove(workerId);
        }
        if (consumer != null) {
            if (!consumer.close(WORKER_STOP_TIMEOUT)) {
                LOG.warn("Worker {} did not stop gracefully within {}", workerId, WORKER_STOP_TIMEOUT);
            }
        } else if (child != null) {
            child.stop(WORKER_STOP_TIMEOUT); // SIGTERM: ChildWorker's shutdown hook shuts down gracefully
        } else {
            throw new IllegalArgumentException("No running worker " + workerId);
        }
    }

    /** Kills a child worker with SIGKILL: no checkpoint, no lease release; its leases expire after the failover time. */
    public void killChildWorker(String workerId) {
        JvmProcess child;
        synchronized (this) {
            child = childWorkers.remove(workerId);
        }
        if (child == null) {
            throw new IllegalArgumentException("No running child worker " + workerId);
        }
        child.kill();
    }

    /** Shards leased by the in-process worker, or empty. */
    public synchronized java.util.Set<String> heldLeases(String workerId) {
        KinesisConsumer consumer = workers.get(workerId);
        return consumer == null ? java.util.Set.of() : consumer.heldLeases();
    }

    /** Shards the in-process worker is delivering records from now (leases taken and handed over), or empty. */
    public synchronized java.util.Set<String> activeShards(String workerId) {
        KinesisConsumer consumer = workers.get(workerId);
        return consumer == null ? java.util.Set.of() : consumer.activeShards();
    }

    /** Stops every worker gracefully. */
    public void stopWorkers() {
        List<String> ids;
        synchronized (this) {
            ids = new ArrayList<>(workers.keySet());
            ids.addAll(childWorkers.keySet());
        }
        ids.parallelStream().forEach(this::stopWorker);
    }

    private void requireNewWorker(String workerId) {
        if (workers.containsKey(workerId) || childWorkers.containsKey(workerId)) {
            throw new IllegalArgumentException("Worker " + workerId + " is already running");
        }
    }

    /** The consumer settings of every worker of a workload: short failover, quick polling. */
    static ConsumerConfig.Builder consumerConfig(String application, String stream, String workerId,
                                                  Duration failoverTime) {
        return ConsumerConfig.builder()
                .applicationName(application)
                .streamName(stream)
                .workerId(workerId)
                .initialPosition(InitialPosition.trimHorizon())
                .failoverTime(failoverTime)
                .idleTimeBetweenReads(Duration.ofMillis(250))
                .shardSyncInterval(Duration.ofSeconds(10));
    }

    // ------------------------------------------------------------------ the end

    /** Waits until every acknowledged record was processed at least once; false at the timeout. */
    public boolean awaitAllProcessed(Duration timeout) {
        return await(ledger::allAcknowledgedProcessed, timeout);
    }

    /**
     * Closes the producer, waits (up to {@code timeout}) until every acknowledged record was processed, stops the
     * workers gracefully and reconciles; prints the reconciliation line.
     */
    public Reconciliation finish(Duration timeout) {
        List<FailedRecord> undelivered = stopProducer();
        if (!undelivered.isEmpty()) {
            LOG.warn("Workload {}: the producer's close returned {} undelivered records", options.name,
                    undelivered.size());
        }
        if (!awaitAllProcessed(timeout)) {
            LOG.warn("Workload {}: {} acknowledged records still unprocessed after {}", options.name,
                    ledger.acknowledgedNotProcessed(), timeout);
        }
        stopWorkers();
        Reconciliation r = ledger.reconcile();
        System.out.println("RECONCILIATION " + options.name + ": " + r.line());
        return r;
    }

    /** Stops whatever still runs (child workers by SIGKILL), closes the clients and deletes the stream. */
    @Override
    public void close() {
        List<JvmProcess> children;
        synchronized (this) {
            children = new ArrayList<>(childWorkers.values());
            childWorkers.clear();
        }
        children.forEach(JvmProcess::close);
        stopWorkers();
        stopProducer();
        consumerKinesis.close();
        consumerDynamoDb.close();
        try {
            Streams.deleteStream(endpoints.kinesisAsyncClient(), stream);
        } catch (RuntimeException e) {
            LOG.info("Could not delete stream {}: {}", stream, e.toString());
        }
    }

    /** Polls {@code condition} every 100 ms until it holds or {@code timeout} passes. */
    public static boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Options of a {@link Workload}; all have defaults sized for a shared 2-core test machine. */
    public static final class Builder {

        private final LocalEndpoints endpoints;
        private String name = "workload";
        private int shards = 4;
        private int keys = 64;
        private int recordSize = 120;
        private int rate = 400;
        private Duration failoverTime = Duration.ofSeconds(4);
        private final List<ExecutionInterceptor> kinesisFaults = new ArrayList<>();
        private final List<ExecutionInterceptor> dynamoDbFaults = new ArrayList<>();
        private Consumer<ProducerConfig.Builder> producerOptions = b -> { };
        private Consumer<ConsumerConfig.Builder> consumerOptions = b -> { };
        private Path logDir = Path.of("target", "workload-logs");
        private boolean sdkRetries;
        private Duration processingDelay = Duration.ZERO;

        private Builder(LocalEndpoints endpoints) {
            this.endpoints = endpoints;
        }

        /**
         * How long an in-process worker's processor takes per batch (it sleeps after reporting the records, before
         * checkpointing), so the workers lag behind the producer. Default none.
         */
        public Builder processingDelay(Duration processingDelay) {
            this.processingDelay = Objects.requireNonNull(processingDelay, "processingDelay");
            return this;
        }

        /** Prefix of the stream name, and the name in log lines. Default "workload". */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Shards of the stream. Default 4. */
        public Builder shards(int shards) {
            this.shards = shards;
            return this;
        }

        /** Distinct partition keys, used round-robin. Default 64. */
        public Builder keys(int keys) {
            this.keys = keys;
            return this;
        }

        /** Payload bytes per record. Default 120. */
        public Builder recordSize(int recordSize) {
            this.recordSize = recordSize;
            return this;
        }

        /** Records added per second. Default 400. */
        public Builder rate(int recordsPerSecond) {
            this.rate = recordsPerSecond;
            return this;
        }

        /** The workers' failover time. Default 4 s. */
        public Builder failoverTime(Duration failoverTime) {
            this.failoverTime = Objects.requireNonNull(failoverTime, "failoverTime");
            return this;
        }

        /** An interceptor (e.g. a FaultInjector) for the producer's and the in-process workers' Kinesis clients. */
        public Builder kinesisFaults(ExecutionInterceptor faults) {
            kinesisFaults.add(Objects.requireNonNull(faults, "faults"));
            return this;
        }

        /** An interceptor (e.g. a FaultInjector) for the in-process workers' DynamoDB client. */
        public Builder dynamoDbFaults(ExecutionInterceptor faults) {
            dynamoDbFaults.add(Objects.requireNonNull(faults, "faults"));
            return this;
        }

        /** Changes to the producer's configuration (after the workload's client, TTL 90 s, strict ordering). */
        public Builder producer(Consumer<ProducerConfig.Builder> options) {
            this.producerOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Changes to the in-process workers' configuration (after {@link #consumerConfig}). */
        public Builder consumer(Consumer<ConsumerConfig.Builder> options) {
            this.consumerOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Whether the workload's SDK clients retry failed calls themselves. Default false: every injected fault
         * reaches the producer's and the consumer's own retry paths, which are what the suite tests.
         */
        public Builder sdkRetries(boolean sdkRetries) {
            this.sdkRetries = sdkRetries;
            return this;
        }

        /** Where child workers' output goes. Default {@code target/workload-logs}. */
        public Builder logDir(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            return this;
        }

        /** Creates the stream (waits until it is active) and the producer; no worker runs yet. */
        public Workload build() {
            return new Workload(endpoints, this);
        }
    }
}
