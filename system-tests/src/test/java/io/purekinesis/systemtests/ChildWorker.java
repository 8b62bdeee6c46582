package io.purekinesis.systemtests;

import io.purekinesis.consumer.KinesisConsumer;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * The main class of a worker in a child JVM ({@link Workload#startChildWorker}): one {@link KinesisConsumer} with a
 * {@link RecordingProcessor} that prints each delivered record as a {@code SEEN} line and flushes before every
 * checkpoint. Prints {@link #READY} once started. SIGTERM shuts it down gracefully (a shutdown hook); SIGKILL does not.
 *
 * <p>Arguments: Kinesis endpoint, DynamoDB endpoint, stream, application, worker id, failover time in ms.
 */
public final class ChildWorker {

    static final String READY = "READY";
    private static final String SEEN = "SEEN ";

    private ChildWorker() {
    }

    public static void main(String[] args) throws InterruptedException {
        String workerId = args[4];
        KinesisConsumer consumer = new KinesisConsumer(Workload.consumerConfig(args[3], args[2], workerId,
                        Duration.ofMillis(Long.parseLong(args[5])))
                .kinesisEndpoint(URI.create(args[0]))
                .dynamoDbEndpoint(URI.create(args[1]))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy")))
                .build(),
                () -> new RecordingProcessor(workerId, ChildWorker::print, System.out::flush));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> consumer.close(Duration.ofSeconds(30))));
        consumer.start();
        System.out.println(READY);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** {@code SEEN <worker> <shard> <sequence number> <sub-sequence number> <key> <seq>}. */
    private static void print(byte[] data, String worker, String shardId, String sequenceNumber, long subSequence) {
        Ledger.Id id = Ledger.parse(data);
        System.out.println(SEEN + worker + " " + shardId + " " + sequenceNumber + " " + subSequence + " "
                + (id == null ? "- -1" : id.key() + " " + id.seq()));
    }

    /** The delivery in a {@code SEEN} line, or null for any other line (logs, READY). */
    static Ledger.Delivery parse(String line) {
        if (!line.startsWith(SEEN)) {
            return null;
        }
        String[] f = line.substring(SEEN.length()).split(" ");
        if (f.length != 6) {
            return null;
        }
        return new Ledger.Delivery(new Ledger.Id(f[4], Long.parseLong(f[5])), f[0], f[1], f[2], Long.parseLong(f[3]));
    }
}
