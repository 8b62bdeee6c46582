package io.purekinesis.samples;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Starts a local Kinesis and DynamoDB Local and keeps them running until Ctrl-C, for trying the library or the
 * AWS CLI by hand: {@code mvn -q -pl samples exec:java -Dexec.args="--stream demo --shards 4"}.
 */
public final class LocalEndpointsMain {

    private LocalEndpointsMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Options options = Options.parse(args);
        LocalEndpoints endpoints = LocalEndpoints.start();
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
        System.out.println("Any static credentials and region us-east-1 work. Ctrl-C stops both.");
        stopped.await();
    }

    /** Command-line flags; each bad flag is named in the error. */
    record Options(String stream, int shards) {

        static Options parse(String[] args) {
            String stream = null;
            int shards = 1;
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("flag " + flag + " needs a value");
                }
                String value = args[++i];
                switch (flag) {
                    case "--stream" -> stream = value;
                    case "--shards" -> shards = parseShards(value);
                    default -> throw new IllegalArgumentException("unknown flag " + flag
                            + " (known: --stream NAME, --shards N)");
                }
            }
            return new Options(stream, shards);
        }

        private static int parseShards(String value) {
            try {
                int shards = Integer.parseInt(value);
                if (shards < 1 || shards > 50) {
                    throw new IllegalArgumentException("--shards must be 1..50 (the emulator's limit), was " + value);
                }
                return shards;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--shards must be a number, was " + value, e);
            }
        }
    }
}
