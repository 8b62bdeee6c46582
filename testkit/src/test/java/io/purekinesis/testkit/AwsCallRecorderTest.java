package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/** The recorder sees the calls of real SDK clients, aimed at a closed port: the calls fail after it saw them. */
class AwsCallRecorderTest {

    private static final URI NOWHERE = URI.create("http://127.0.0.1:" + FreePorts.pick());
    private static final AwsRequestOverrideConfiguration PRODUCER = tag("purekinesis-producer");
    private static final AwsRequestOverrideConfiguration CONSUMER = tag("purekinesis-consumer");

    @Test
    void writesEachTaggedCallOnceWithItsActionAndResourceKind(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("sub").resolve("calls.tsv");
        AwsCallRecorder recorder = new AwsCallRecorder(file);
        try (KinesisClient kinesis = kinesis(recorder); DynamoDbClient dynamo = dynamoDb(recorder)) {
            call(() -> kinesis.putRecords(b -> b.streamName("s").overrideConfiguration(PRODUCER)));
            call(() -> kinesis.putRecords(b -> b.streamName("s").overrideConfiguration(PRODUCER)));
            call(() -> kinesis.listShards(b -> b.streamName("s").overrideConfiguration(CONSUMER)));
            call(() -> kinesis.describeStreamConsumer(b -> b
                    .consumerARN("arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1").overrideConfiguration(CONSUMER)));
            call(() -> kinesis.listShards(b -> b.streamName("s"))); // untagged: the test's own call
            call(() -> dynamo.updateItem(b -> b.tableName("t").overrideConfiguration(CONSUMER)));
            call(() -> dynamo.query(b -> b.tableName("t").indexName("i").overrideConfiguration(CONSUMER)));
            call(() -> dynamo.query(b -> b.tableName("t").overrideConfiguration(tag("someone-else"))));
        }
        assertEquals(List.of(
                "producer\tkinesis:PutRecords\tstream/STREAM",
                "consumer\tkinesis:ListShards\tstream/STREAM",
                "consumer\tkinesis:DescribeStreamConsumer\tstream/STREAM/consumer/CONSUMER",
                "consumer\tdynamodb:UpdateItem\ttable/TABLE",
                "consumer\tdynamodb:Query\ttable/TABLE/index/INDEX"), Files.readAllLines(file));
    }

    @Test
    void recordsNothingWithoutTheProperty(@TempDir Path dir) throws IOException {
        AwsCallRecorder off = AwsCallRecorder.forDirectory(null);
        try (KinesisClient kinesis = kinesis(off)) {
            call(() -> kinesis.putRecords(b -> b.streamName("s").overrideConfiguration(PRODUCER)));
        }
        assertNull(AwsCallRecorder.forDirectory(" ").sinkFile());

        AwsCallRecorder on = AwsCallRecorder.forDirectory(dir.toString());
        assertEquals(dir.resolve("calls-" + ProcessHandle.current().pid() + ".tsv"), on.sinkFile());
        assertFalse(Files.exists(on.sinkFile()), "the file is created by the first call only");
        try (KinesisClient kinesis = kinesis(on)) {
            call(() -> kinesis.putRecords(b -> b.streamName("s").overrideConfiguration(PRODUCER)));
        }
        assertTrue(Files.readString(on.sinkFile()).contains("kinesis:PutRecords"));
    }

    private static AwsRequestOverrideConfiguration tag(String apiName) {
        return AwsRequestOverrideConfiguration.builder()
                .addApiName(ApiName.builder().name(apiName).version("1").build()).build();
    }

    private static KinesisClient kinesis(ExecutionInterceptor recorder) {
        return Clients.pointAt(KinesisClient.builder(), NOWHERE).httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(c -> c.addExecutionInterceptor(recorder)
                        .retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    private static DynamoDbClient dynamoDb(ExecutionInterceptor recorder) {
        return Clients.pointAt(DynamoDbClient.builder(), NOWHERE).httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(c -> c.addExecutionInterceptor(recorder)
                        .retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    /** Makes the call, which fails (nothing listens): not what is tested. */
    private static void call(Supplier<?> call) {
        try {
            call.get();
        } catch (SdkClientException expected) {
            // connection refused
        }
    }
}
