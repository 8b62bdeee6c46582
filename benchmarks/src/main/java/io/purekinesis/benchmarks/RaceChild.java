package io.purekinesis.benchmarks;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;
import software.amazon.kinesis.producer.UserRecordResult;

/**
 * One run of {@link ProducerRace}, in its own JVM: the same load loop for either library (same keys, payload,
 * pacing, in-flight cap and completion work); only the {@link Library} adapter differs. It tells the parent when the
 * steady window starts and ends ({@code RACE window-start}, {@code RACE window-end}) so the parent can read this
 * process tree's CPU and the sink's counters at those moments, prints {@code RACE result ...}, then
 * {@code RACE done}, and exits when the parent closes its standard input (after reading peak RSS).
 */
final class RaceChild {

    /** The two libraries behind one call: add a record, and call {@code done} once it completes. */
    interface Library extends AutoCloseable {
        void add(String stream, String key, byte[] data, Completion done);

        void flush() throws Exception;
    }

    /** Completion of one record: the same work for both libraries. */
    interface Completion {
        void complete(boolean ok, Throwable error);
    }

    private final ProducerRace.Options o;
    private final String[] keys;
    private final byte[] data;
    private final LatencyHistogram latency = new LatencyHistogram();
    private final LongAdder completedInWindow = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Semaphore inFlight;
    private volatile boolean measuring;
    private volatile boolean stop;
    private volatile Throwable firstError;

    private RaceChild(ProducerRace.Options o) {
        this.o = o;
        this.keys = new String[o.keys];
        for (int i = 0; i < o.keys; i++) {
            keys[i] = "partition-key-" + i;
        }
        this.data = new byte[o.recordSize];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) random.nextInt(256);
        }
        this.inFlight = new Semaphore(o.maxInFlight);
    }

    static void run(ProducerRace.Options o) throws Exception {
        new RaceChild(o).race();
    }

    private void race() throws Exception {
        try (Library library = o.library.equals("kpl") ? kpl(o) : ours(o)) {
            List<Thread> adders = new ArrayList<>();
            for (int t = 0; t < o.threads; t++) {
                int seed = t;
                Thread thread = new Thread(() -> addUntilStopped(library, seed), "race-adder-" + t);
                thread.start();
                adders.add(thread);
            }
            TimeUnit.SECONDS.sleep(o.warmupSeconds);
            latency.reset();
            long t0 = System.nanoTime();
            measuring = true;
            mark("window-start");
            TimeUnit.NANOSECONDS.sleep(o.windowSeconds * 1_000_000_000L - (System.nanoTime() - t0));
            measuring = false;
            long t1 = System.nanoTime();
            mark("window-end");
            long completed = completedInWindow.sum();
            stop = true;
            for (Thread thread : adders) {
                thread.join();
            }
            library.flush();
            // Every record's completion has run once all permits are back.
            if (!inFlight.tryAcquire(o.maxInFlight, 120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("records still in flight 120 s after the load stopped: "
                        + (o.maxInFlight - inFlight.availablePermits()));
            }
            System.out.printf(Locale.ROOT, "RACE result windowSeconds=%.3f completedInWindow=%d succeeded=%d "
                            + "failed=%d p50Nanos=%d p99Nanos=%d maxNanos=%d firstError=%s%n", (t1 - t0) / 1e9,
                    completed, succeeded.sum(), failed.sum(), latency.valueAtQuantile(0.5),
                    latency.valueAtQuantile(0.99), latency.max(),
                    firstError == null ? "none" : String.valueOf(firstError).replaceAll("\\s+", "_"));
            // The library still open (KPL's daemon still running), so the parent reads both peak RSS figures; it
            // closes our input when done.
            mark("done");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }

    private static void mark(String what) {
        System.out.println("RACE " + what);
        System.out.flush();
    }

    /** The load loop: identical for both libraries. */
    private void addUntilStopped(Library library, int seed) {
        int k = seed * 7919 % keys.length;
        String stream = o.stream;
        Pacer pacer = new Pacer(o.rate, o.threads, o.pacerMinSleepMicros * 1000L);
        try {
            for (long i = 0; !stop; i++) {
                pacer.awaitTurn(i);
                inFlight.acquire();
                String key = keys[k];
                k = k + 1 == keys.length ? 0 : k + 1;
                long start = System.nanoTime();
                library.add(stream, key, data, (ok, error) -> {
                    if (measuring) {
                        latency.record(System.nanoTime() - start);
                        completedInWindow.increment();
                    }
                    if (ok) {
                        succeeded.increment();
                    } else {
                        failed.increment();
                        if (firstError == null) {
                            firstError = error;
                        }
                    }
                    inFlight.release();
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the two libraries ----

    private static Library ours(ProducerRace.Options o) {
        // The harness's own client: the race's --protocol, HTTP/1.1, trusts the sink's self-signed certificate on
        // https.
        ProducerBenchmark.Options bo = ProducerBenchmark.Options.parse(new String[] {"--region", o.region});
        bo.protocol = o.protocol;
        KinesisAsyncClient client = ProducerBenchmark.client(bo, o.endpoint, Duration.ofSeconds(30));
        ProducerConfig.Builder b = ProducerConfig.builder().kinesisClient(client).aggregationEnabled(true)
                .rateLimit(o.rateLimit).producerName("race")
                .recordMaxBufferedTime(Duration.ofMillis(o.maxBufferedMillis));
        KinesisProducer producer = KinesisProducer.create(b.build());
        return new Library() {
            @Override
            public void add(String stream, String key, byte[] record, Completion done) {
                producer.add(stream, key, record).whenComplete((r, e) -> done.complete(e == null, e));
            }

            @Override
            public void flush() throws InterruptedException {
                producer.flushSync();
            }

            @Override
            public void close() {
                producer.close(Duration.ofSeconds(30));
                client.close();
            }
        };
    }

    private static Library kpl(ProducerRace.Options o) {
        URI endpoint = o.endpoint;
        KinesisProducerConfiguration config = new KinesisProducerConfiguration()
                .setRegion(o.region)
                .setKinesisEndpoint(endpoint.getHost())
                .setKinesisPort(endpoint.getPort())
                .setVerifyCertificate(false) // the sink's (or the emulator's) certificate is self-signed
                .setCredentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("race", "race")))
                .setMetricsLevel("none")
                .setLogLevel("warning")
                .setAggregationEnabled(true)
                .setRateLimit(o.rateLimit)
                .setRecordMaxBufferedTime(o.maxBufferedMillis);
        software.amazon.kinesis.producer.KinesisProducer producer =
                new software.amazon.kinesis.producer.KinesisProducer(config);
        return new Library() {
            @Override
            public void add(String stream, String key, byte[] record, Completion done) {
                Futures.addCallback(producer.addUserRecord(stream, key, ByteBuffer.wrap(record)),
                        new FutureCallback<UserRecordResult>() {
                            @Override
                            public void onSuccess(UserRecordResult result) {
                                done.complete(result.isSuccessful(), null);
                            }

                            @Override
                            public void onFailure(Throwable t) {
                                done.complete(false, t);
                            }
                        }, MoreExecutors.directExecutor());
            }

            @Override
            public void flush() throws InterruptedException {
                producer.flushSync();
            }

            @Override
            public void close() {
                producer.destroy();
            }
        };
    }
}
