package io.purekinesis.samples.sidebyside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedInputStream;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The side-by-side application on the local endpoints: every record the purekinesis producer wrote reaches both the
 * purekinesis consumer and KCL 3.5.1, on the protobuf-java runtime KCL brought. With the generated protobuf code
 * aggregation-format had before, the purekinesis consumer failed here (runtime older than its gencode).
 */
@ExtendWith(LocalEndpointsExtension.class)
class SideBySideAppTest {

    /** What KCL 3.5.1 declares. With nothing pinned, Maven's nearest-wins gives the application this one. */
    private static final String KCL_PROTOBUF_VERSION = "4.27.5";
    private static final int RECORDS = 500;
    /** KCL needs 15-45 s to start on a fresh lease table (more on a busy machine); our consumer needs seconds. */
    private static final Duration DEADLINE = Duration.ofMinutes(4);

    @Test
    void theProtobufRuntimeIsTheOneKclBrings() throws Exception {
        Path jar = Path.of(CodedInputStream.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarFile file = new JarFile(jar.toFile())) {
            assertEquals(KCL_PROTOBUF_VERSION, file.getManifest().getMainAttributes().getValue("Bundle-Version"),
                    "protobuf-java on the class path is " + jar + ": this proof needs KCL's runtime, unpinned");
        }
    }

    @Test
    void everyRecordReachesBothReaders(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("side-by-side");
        Streams.createStream(kinesis, stream, 2);
        try (CloudWatchAsyncClient cloudWatch = unusedCloudWatch();
                SideBySideApp app = new SideBySideApp(kinesis, dynamo, cloudWatch, stream, stream, true)) {
            long start = System.nanoTime();
            app.startReaders();
            List<String> sent = app.produce(RECORDS);
            await("the purekinesis consumer read every record",
                    () -> app.readByPurekinesis().keySet().containsAll(sent));
            System.out.printf("purekinesis consumer: all %d records after %d s%n", RECORDS, seconds(start));
            await("KCL read every record", () -> app.readByKcl().keySet().containsAll(sent));
            System.out.printf("KCL 3.5.1: all %d records after %d s%n", RECORDS, seconds(start));

            assertEquals(Set.copyOf(sent), app.readByPurekinesis().keySet());
            assertEquals(Set.copyOf(sent), app.readByKcl().keySet());
            assertTrue(app.aggregatedByPurekinesis() > RECORDS / 2,
                    "most records came out of aggregates: " + app.aggregatedByPurekinesis());
            assertTrue(app.aggregatedByKcl() > RECORDS / 2, "most records came out of aggregates: "
                    + app.aggregatedByKcl());
        }
    }

    /** KCL wants a CloudWatch client; its metrics are off here, so this one is never called. */
    private static CloudWatchAsyncClient unusedCloudWatch() {
        return CloudWatchAsyncClient.builder().endpointOverride(URI.create("http://localhost:1"))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .build();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + ": not within " + DEADLINE);
            Thread.sleep(100);
        }
    }

    private static long seconds(long start) {
        return (System.nanoTime() - start) / 1_000_000_000L;
    }
}
