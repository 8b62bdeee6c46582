package io.purekinesis.samples;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Starts a local Kinesis and DynamoDB Local and keeps them running until Ctrl-C, for running the sample apps or trying
 * the library by hand (README, "Run the sample apps locally"):
 * {@code mvn -q -pl samples exec:java -Dexec.args="--stream demo --shards 2 --kinesis-port 4567 --dynamodb-port 8000"}.
 * Without the port flags each endpoint takes a free port; the ports in use are printed.
 */
public final class LocalEndpointsMain {

    static final String USAGE = "LocalEndpointsMain [--stream NAME [--shards N]] [--kinesis-port PORT]"
            + " [--dynamodb-port PORT]";
    /** Printed last, once both endpoints are up (tests wait for it). */
    static final String READY = "Any static credentials and region us-east-1 work. Ctrl-C stops both.";

    private LocalEndpointsMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Options options = Flags.parseOrExit(args, Options::parse, USAGE);
        LocalEndpoints endpoints = LocalEndpoints.builder()
                .kinesis(k -> {
                    if (options.kinesisPort() > 0) {
                        k.plainPort(options.kinesisPort());
                    }
                })
                .dynamoDb(d -> {
                    if (options.dynamoDbPort() > 0) {
                        d.port(options.dynamoDbPort());
                    }
                })
                .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            endpoints.close();
            stopped.countDown();
        }, "local-endpoints-stop"));
        if (options.stream != null) {
            KinesisAsyncClient kinesis = endpoints.kinesisAsyncClient();
            Streams.createStream(kinesis, options.stream, options.shards);
            System.out.printf("stream %s created with %d shards%n", options.stream, options.shards);
        }
        System.out.println("Kinesis:  " + endpoints.kinesis().endpoint() + "  (JSON only: set AWS_CBOR_DISABLE=true)");
        System.out.println("DynamoDB: " + endpoints.dynamoDb().endpoint());
        System.out.println(READY);
        stopped.await();
    }

    /** Command-line flags; each bad flag is named in the error. A port of 0 means a free port. */
    record Options(String stream, int shards, int kinesisPort, int dynamoDbPort) {

        static Options parse(String[] args) {
            Flags flags = Flags.parse(args, Set.of("--stream", "--shards", "--kinesis-port", "--dynamodb-port"),
                    Set.of());
            if (flags.has("--shards") && !flags.has("--stream")) {
                throw new IllegalArgumentException("flag --shards needs --stream (the stream to create)");
            }
            return new Options(flags.string("--stream").orElse(null),
                    (int) flags.number("--shards", 1, 1, 50),
                    (int) flags.number("--kinesis-port", 0, 1, 65_535),
                    (int) flags.number("--dynamodb-port", 0, 1, 65_535));
        }
    }
}
