package io.purekinesis.samples;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RetrievalMode;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes a stream, or several in multi-stream mode ({@code --streams}: one application and lease table for all),
 * with a checkpointing processor and prints progress once a second:
 * <pre>
 * ConsumerApp --stream orders --application-name orders-reader --region eu-west-1
 * ConsumerApp --streams orders,refunds,returns --application-name shop-reader --region eu-west-1
 * ConsumerApp --stream demo --application-name demo-reader --endpoint http://localhost:4568 \
 *     --dynamodb-endpoint http://localhost:8000 --initial-position trim-horizon --records 10000
 * </pre>
 * Runs until {@code --duration} passed, {@code --records} were processed, or Ctrl-C; each ends with a graceful
 * shutdown (processors checkpoint, leases are released for the application's other workers).
 */
public final class ConsumerApp {

    static final String USAGE = "ConsumerApp (--stream NAME | --streams NAME,NAME,...) --application-name NAME"
            + " [--region ID] [--endpoint URL"
            + " --dynamodb-endpoint URL] [--initial-position latest|trim-horizon] [--retrieval polling|fan-out]"
            + " [--duration 60s | --records N]";
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private ConsumerApp() {
    }

    /**
     * Parsed flags.
     *
     * @param streams     the stream of {@code --stream}, or those of {@code --streams}
     * @param multiStream whether {@code --streams} was given (multi-stream mode, even with one name)
     */
    record Options(List<String> streams, boolean multiStream, String applicationName, Connection connection, Optional<URI> dynamoDbEndpoint,
                   InitialPosition initialPosition, RetrievalMode retrievalMode, Optional<Duration> duration,
                   long records) {

        static Options parse(String[] args) {
            Flags flags = Flags.parse(args, Set.of("--stream", "--streams", "--application-name", "--region", "--endpoint",
                    "--dynamodb-endpoint", "--initial-position", "--retrieval", "--duration", "--records"), Set.of());
            if (flags.has("--duration") && flags.has("--records")) {
                throw new IllegalArgumentException("flags --duration and --records exclude each other: give one");
            }
            if (!flags.has("--stream") && !flags.has("--streams")) {
                throw new IllegalArgumentException("flag --stream (or --streams, for several) is required");
            }
            if (flags.has("--stream") && flags.has("--streams")) {
                throw new IllegalArgumentException("flags --stream and --streams exclude each other: give one");
            }
            if (flags.has("--endpoint") != flags.has("--dynamodb-endpoint")) {
                throw new IllegalArgumentException("flags --endpoint and --dynamodb-endpoint go together: a local"
                        + " Kinesis needs a local DynamoDB for the lease table (missing: "
                        + (flags.has("--endpoint") ? "--dynamodb-endpoint" : "--endpoint") + ")");
            }
            String position = flags.string("--initial-position").orElse("latest");
            InitialPosition initial = switch (position) {
                case "latest" -> InitialPosition.latest();
                case "trim-horizon" -> InitialPosition.trimHorizon();
                default -> throw new IllegalArgumentException("flag --initial-position must be latest or"
                        + " trim-horizon, was '" + position + "'");
            };
            String retrieval = flags.string("--retrieval").orElse("polling");
            RetrievalMode mode = switch (retrieval) {
                case "polling" -> RetrievalMode.POLLING;
                case "fan-out" -> RetrievalMode.FAN_OUT;
                default -> throw new IllegalArgumentException("flag --retrieval must be polling or fan-out, was '"
                        + retrieval + "'");
            };
            boolean multiStream = flags.has("--streams");
            List<String> streams = multiStream ? streamList(flags.required("--streams"))
                    : List.of(flags.required("--stream"));
            return new Options(streams, multiStream, flags.required("--application-name"),
                    new Connection(flags.region("--region"), flags.uri("--endpoint")),
                    flags.uri("--dynamodb-endpoint"), initial, mode, flags.duration("--duration"),
                    flags.number("--records", Long.MAX_VALUE, 1, Long.MAX_VALUE));
        }
    }

    /** The names (or ARNs) of {@code --streams a,b,c}: none empty, none twice. */
    private static List<String> streamList(String value) {
        List<String> names = Arrays.stream(value.split(",", -1)).map(String::trim).toList();
        if (names.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("flag --streams takes names separated by commas, was '" + value + "'");
        }
        if (new HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("flag --streams names a stream twice: '" + value + "'");
        }
        return names;
    }

    public static void main(String[] args) throws InterruptedException {
        Flags.runMain(args, Options::parse, USAGE, options -> {
            run(options, System.out);
            return true;
        });
    }

    /** Consumes until the duration or record count is reached, or the JVM is asked to stop. @return records processed */
    static long run(Options options, PrintStream out) throws InterruptedException {
        options.connection().applyProtocol();
        ConsumerConfig.Builder config = ConsumerConfig.builder()
                .applicationName(options.applicationName())
                .initialPosition(options.initialPosition())
                .retrievalMode(options.retrievalMode());
        if (options.multiStream()) {
            config.streams(options.streams());
        } else {
            config.streamName(options.streams().get(0));
        }
        options.connection().region().ifPresent(config::region);
        options.connection().kinesisEndpoint().ifPresent(config::kinesisEndpoint);
        options.dynamoDbEndpoint().ifPresent(config::dynamoDbEndpoint);
        options.connection().credentials().ifPresent(config::credentialsProvider);
        AtomicLong processed = new AtomicLong();
        CountDownLatch enough = new CountDownLatch(1);
        KinesisConsumer consumer = new KinesisConsumer(config.build(), () -> new CountingProcessor(processed,
                options.records(), enough));
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            synchronized (stopped) { // a second caller (hook or main) waits until the first has stopped
                if (!stopped.compareAndSet(false, true)) {
                    return;
                }
                out.println("shutting down gracefully (checkpointing, releasing leases)...");
                if (consumer.close(SHUTDOWN_TIMEOUT)) {
                    out.printf("consumer stopped: %d records processed%n", processed.get());
                } else {
                    out.printf("graceful shutdown did not finish within %d s; stopped anyway (the other workers"
                            + " take the leases after the failover time): %d records processed%n",
                            SHUTDOWN_TIMEOUT.toSeconds(), processed.get());
                }
            }
        };
        Thread hook = new Thread(() -> {
            out.println("Ctrl-C received");
            enough.countDown();
            stop.run();
        }, "consumer-app-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("consuming " + (options.multiStream() ? "streams " + String.join(", ", options.streams())
                + " (multi-stream mode)" : "stream " + options.streams().get(0)) + " as application " + options.applicationName()
                + " via " + options.connection().describe() + ", initial position " + options.initialPosition()
                + ", " + options.retrievalMode());
        consumer.start();
        long start = System.nanoTime();
        long end = options.duration().map(d -> start + d.toNanos()).orElse(Long.MAX_VALUE);
        long last = 0;
        try {
            while (!enough.await(1, TimeUnit.SECONDS) && System.nanoTime() - end < 0) {
                long now = processed.get();
                out.printf("[%4ds] processed %d (%d/s)  leases held %d %s%n",
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), now, now - last,
                        consumer.heldLeases().size(), consumer.activeShards());
                last = now;
            }
        } finally {
            stop.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C meanwhile: the hook found the consumer stopped
            }
        }
        return processed.get();
    }

    /** Counts records and checkpoints after every batch, at a shard's end and at shutdown. */
    static final class CountingProcessor extends CheckpointingProcessor {

        private final AtomicLong processed;
        private final long target;
        private final CountDownLatch enough;

        CountingProcessor(AtomicLong processed, long target, CountDownLatch enough) {
            this.processed = processed;
            this.target = target;
            this.enough = enough;
        }

        @Override
        void handle(ProcessRecordsInput input) {
            if (processed.addAndGet(input.records().size()) >= target) {
                enough.countDown();
            }
        }
    }
}
