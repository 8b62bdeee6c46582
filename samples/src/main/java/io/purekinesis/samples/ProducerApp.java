package io.purekinesis.samples;

import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerClosedException;
import io.purekinesis.producer.ProducerConfig;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Puts records into a stream at a steady rate and prints progress once a second:
 * <pre>
 * ProducerApp --stream orders --region eu-west-1 --rate 1000 --record-size 200 --duration 60s
 * ProducerApp --stream demo --endpoint http://localhost:4568 --records 10000
 * </pre>
 * Without {@code --duration} or {@code --records} it runs until Ctrl-C, which closes the producer (sending what is
 * buffered for up to 10 s) and reports what could not be delivered.
 */
public final class ProducerApp {

    static final String USAGE = "ProducerApp --stream NAME [--region ID] [--endpoint URL] [--rate RECORDS_PER_S]"
            + " [--record-size BYTES] [--duration 60s | --records N]";
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private ProducerApp() {
    }

    /** Parsed flags. */
    record Options(String stream, Connection connection, long rate, int recordSize, Optional<Duration> duration,
                   long records) {

        static Options parse(String[] args) {
            Flags flags = Flags.parse(args, Set.of("--stream", "--region", "--endpoint", "--rate", "--record-size",
                    "--duration", "--records"), Set.of());
            if (flags.has("--duration") && flags.has("--records")) {
                throw new IllegalArgumentException("flags --duration and --records exclude each other: give one");
            }
            return new Options(flags.required("--stream"),
                    new Connection(flags.region("--region"), flags.uri("--endpoint")),
                    flags.number("--rate", 100, 1, 1_000_000),
                    (int) flags.number("--record-size", 100, 16, ProducerConfig.MAX_RECORD_SIZE_BYTES - 256),
                    flags.duration("--duration"),
                    flags.number("--records", Long.MAX_VALUE, 1, Long.MAX_VALUE));
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Flags.runMain(args, Options::parse, USAGE, options -> run(options, System.out));
    }

    /** Produces until the duration or record count is reached, or the JVM is asked to stop. @return all stored */
    static boolean run(Options options, PrintStream out) throws InterruptedException {
        options.connection().applyProtocol();
        ProducerConfig.Builder config = ProducerConfig.builder().producerName("sample");
        options.connection().region().ifPresent(config::region);
        options.connection().kinesisEndpoint().ifPresent(config::endpointOverride);
        options.connection().credentials().ifPresent(config::credentialsProvider);
        KinesisProducer producer = KinesisProducer.create(config.build());
        AtomicLong added = new AtomicLong();
        AtomicLong stored = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicBoolean closed = new AtomicBoolean();
        Runnable close = () -> {
            synchronized (closed) { // a second caller (hook or main) waits until the first has closed
                if (closed.compareAndSet(false, true)) {
                    List<FailedRecord> undelivered = producer.close(CLOSE_TIMEOUT);
                    out.printf("producer closed: %d added, %d stored, %d failed, %d undelivered at close%n",
                            added.get(), stored.get(), failed.get(), undelivered.size());
                }
            }
        };
        Thread hook = new Thread(() -> {
            stopping.set(true);
            out.println("Ctrl-C: closing the producer (up to " + CLOSE_TIMEOUT.toSeconds() + " s)");
            close.run();
        }, "producer-app-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("producing to stream " + options.stream() + " via " + options.connection().describe() + " at "
                + options.rate() + " records/s of " + options.recordSize() + " bytes");
        long start = System.nanoTime();
        long end = options.duration().map(d -> start + d.toNanos()).orElse(Long.MAX_VALUE);
        long nextReport = start + TimeUnit.SECONDS.toNanos(1);
        long lastStored = 0;
        try {
            while (!stopping.get() && added.get() < options.records() && System.nanoTime() - end < 0) {
                long now = System.nanoTime();
                long due = Math.min(options.records(), (now - start) * options.rate() / 1_000_000_000L + 1);
                while (added.get() < due && !stopping.get()) {
                    long n = added.get();
                    try {
                        producer.add(options.stream(), "key-" + (n % 1000), payload(n, options.recordSize()))
                                .whenComplete((result, error) -> (error == null ? stored : failed).incrementAndGet());
                    } catch (ProducerClosedException e) {
                        return false; // Ctrl-C closed it under us
                    }
                    added.incrementAndGet();
                }
                if (now - nextReport >= 0) {
                    long s = stored.get();
                    out.printf("added %d  stored %d (%d/s)  failed %d  outstanding %d%n", added.get(), s,
                            s - lastStored, failed.get(), producer.outstandingRecords());
                    lastStored = s;
                    nextReport += TimeUnit.SECONDS.toNanos(1);
                }
                Thread.sleep(5);
            }
        } finally {
            close.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C meanwhile: the hook found the producer closed
            }
        }
        return failed.get() == 0 && stored.get() == added.get();
    }

    /** A readable record of exactly {@code size} bytes: its number, padded with dots. */
    static byte[] payload(long n, int size) {
        byte[] head = ("{\"n\":" + n + ",\"pad\":\"").getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[size];
        Arrays.fill(data, (byte) '.');
        System.arraycopy(head, 0, data, 0, Math.min(head.length, size));
        if (size >= head.length + 2) {
            data[size - 2] = '"';
            data[size - 1] = '}';
        }
        return data;
    }
}
