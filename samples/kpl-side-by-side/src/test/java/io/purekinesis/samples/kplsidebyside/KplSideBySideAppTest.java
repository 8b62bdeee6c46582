package io.purekinesis.samples.kplsidebyside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedInputStream;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;

/**
 * KPL 1.1.1 writes to the local Kinesis (its native daemon, over the emulator's TLS port) and the purekinesis consumer
 * reads every record, de-aggregating on the protobuf-java runtime KPL brought.
 */
@ExtendWith(LocalEndpointsExtension.class)
class KplSideBySideAppTest {

    /** What KPL 1.1.1 declares. With nothing pinned, Maven's nearest-wins gives the application this one. */
    private static final String KPL_PROTOBUF_VERSION = "4.29.0";
    private static final int RECORDS = 500;
    private static final Duration DEADLINE = Duration.ofMinutes(2);

    @Test
    void theProtobufRuntimeIsTheOneKplBrings() throws Exception {
        Path jar = Path.of(CodedInputStream.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarFile file = new JarFile(jar.toFile())) {
            assertEquals(KPL_PROTOBUF_VERSION, file.getManifest().getMainAttributes().getValue("Bundle-Version"),
                    "protobuf-java on the class path is " + jar + ": this proof needs KPL's runtime, unpinned");
        }
    }

    @Test
    void everyRecordKplWroteIsRead(LocalEndpoints endpoints, KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo)
            throws Exception {
        String stream = Streams.uniqueStreamName("kpl-side-by-side");
        Streams.createStream(kinesis, stream, 2);
        URI tls = endpoints.kinesis().tlsEndpoint();
        KinesisProducerConfiguration kpl = new KinesisProducerConfiguration()
                .setRegion("us-east-1")
                .setKinesisEndpoint(tls.getHost())
                .setKinesisPort(tls.getPort())
                .setVerifyCertificate(false) // the emulator's certificate is self-signed
                .setCredentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .setMetricsLevel("none");
        try (KplSideBySideApp app = new KplSideBySideApp()) {
            List<String> sent = KplSideBySideApp.produceWithKpl(kpl, stream, RECORDS);
            app.startReader(kinesis, dynamo, stream, stream);
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!app.read().keySet().containsAll(sent)) {
                assertTrue(System.nanoTime() < deadline, "the purekinesis consumer read " + app.read().size() + " of "
                        + sent.size() + " records within " + DEADLINE);
                Thread.sleep(100);
            }
            assertEquals(Set.copyOf(sent), app.read().keySet());
            assertTrue(app.aggregated() > RECORDS / 2, "most records came out of KPL's aggregates: " + app.aggregated());
            System.out.printf("KPL 1.1.1 wrote %d records, the purekinesis consumer read them all (%d from aggregates)%n",
                    sent.size(), app.aggregated());
        }
    }
}
