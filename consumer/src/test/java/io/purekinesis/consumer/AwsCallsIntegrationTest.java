package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

/**
 * What the consumer's AWS calls carry and what happens when they are refused while it runs: every request names the
 * library in its SDK ApiName (on clients the user built), and a permission taken away from GetRecords or from the
 * lease table is reported loudly (ERROR, {@link ConsumerMetrics#nonTransientFailure}) and retried until it is back,
 * with nothing skipped.
 */
@ExtendWith(LocalEndpointsExtension.class)
class AwsCallsIntegrationTest {

    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    /** Records every request's operation and ApiNames; refuses the operations in {@link #denied} as IAM would. */
    static final class Gate implements ExecutionInterceptor {
        final List<String> untagged = new CopyOnWriteArrayList<>();
        final Set<String> operations = ConcurrentHashMap.newKeySet();
        final Set<String> denied = ConcurrentHashMap.newKeySet();
        final List<String> apiNames = new CopyOnWriteArrayList<>();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            operations.add(operation);
            List<ApiName> names = context.request() instanceof AwsRequest r
                    ? r.overrideConfiguration().map(o -> o.apiNames()).orElse(List.of()) : List.of();
            names.stream().filter(a -> a.name().equals("purekinesis-consumer")).findFirst().ifPresentOrElse(
                    a -> apiNames.add(a.name() + "/" + a.version()), () -> untagged.add(operation));
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            if (!denied.contains(operation)) {
                return;
            }
            String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
            AwsErrorDetails details = AwsErrorDetails.builder().errorCode("AccessDeniedException").serviceName(service)
                    .errorMessage("User: arn:aws:iam::000000000000:user/test is not authorized to perform: "
                            + operation).build();
            throw service.toLowerCase().contains("dynamo")
                    ? DynamoDbException.builder().statusCode(400).awsErrorDetails(details)
                            .message(details.errorMessage()).build()
                    : KinesisException.builder().statusCode(400).awsErrorDetails(details)
                            .message(details.errorMessage()).build();
        }
    }

    private record Setup(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, Gate gate) implements AutoCloseable {
        @Override
        public void close() {
            kinesis.close();
            dynamo.close();
        }
    }

    private static Setup gated(LocalEndpoints endpoints) {
        Gate gate = new Gate();
        return new Setup(endpoints.kinesisClientBuilder().overrideConfiguration(o -> o.addExecutionInterceptor(gate))
                .build(), endpoints.dynamoDbClientBuilder().overrideConfiguration(o -> o.addExecutionInterceptor(gate))
                .build(), gate);
    }

    @Test
    void everyRequestCarriesTheLibrarysApiNameAlsoOnTheUsersClients(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis) throws Exception {
        String stream = streams.create(kinesis, "apiname", 2);
        IntegrationSupport.fill(kinesis, stream, 3);
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        try (Setup s = gated(endpoints)) {
            KinesisConsumer consumer = new KinesisConsumer(IntegrationSupport.config(endpoints, s.kinesis(),
                    s.dynamo(), Streams.uniqueStreamName("app-apiname"), stream, "w1").build(),
                    recorder.factory("w1"));
            consumer.start();
            try {
                await("every record", Duration.ofSeconds(30), () -> recorder.distinct() == 6);
            } finally {
                consumer.shutdown().get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(), s.gate().untagged, "requests without the ApiName");
            assertTrue(s.gate().operations.containsAll(Set.of("DescribeStreamSummary", "ListShards",
                    "GetShardIterator", "GetRecords", "DescribeTable", "CreateTable", "Scan", "PutItem",
                    "UpdateItem")), s.gate().operations.toString());
            String version = s.gate().apiNames.get(0);
            assertTrue(version.matches("purekinesis-consumer/[0-9]+\\.[0-9]+\\.[0-9]+.*"), version);
            assertTrue(s.gate().apiNames.stream().allMatch(version::equals), "one name and version");
        }
    }

    @Test
    void getRecordsRefusedWhileRunningIsReportedRetriedAndResumedWithoutLoss(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis) throws Exception {
        String stream = streams.create(kinesis, "denied-kinesis", 1);
        IntegrationSupport.fill(kinesis, stream, 2);
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        IntegrationSupport.Reports failures = new IntegrationSupport.Reports();
        try (Setup s = gated(endpoints)) {
            KinesisConsumer consumer = new KinesisConsumer(IntegrationSupport.config(endpoints, s.kinesis(),
                    s.dynamo(), Streams.uniqueStreamName("app-denied-kinesis"), stream, "w1").metrics(failures)
                    .build(), recorder.factory("w1"));
            consumer.start();
            try {
                await("the first records", Duration.ofSeconds(30), () -> recorder.distinct() == 2);
                s.gate().denied.add("GetRecords"); // the policy loses kinesis:GetRecords
                await("the refusal reported", Duration.ofSeconds(30), () -> failures.count("kinesis:GetRecords on shard"
                        + " shardId-000000000000 of stream " + stream) > 0);
                IntegrationSupport.fill(kinesis, stream, 2); // written meanwhile: data strings repeat, count twice
                assertEquals(Set.of("shardId-000000000000"), consumer.heldLeases(), "the lease is kept");
                s.gate().denied.clear(); // the permission is back
                await("the records written meanwhile", Duration.ofSeconds(30),
                        () -> recorder.totalDeliveries() == 4);
            } finally {
                consumer.shutdown().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void leaseTableRefusedWhileRunningLosesTheLeaseThenResumesFromTheCheckpoint(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis) throws Exception {
        String stream = streams.create(kinesis, "denied-dynamo", 1);
        IntegrationSupport.fill(kinesis, stream, 2);
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        IntegrationSupport.Reports failures = new IntegrationSupport.Reports();
        String app = Streams.uniqueStreamName("app-denied-dynamo");
        try (Setup s = gated(endpoints)) {
            KinesisConsumer consumer = new KinesisConsumer(IntegrationSupport.config(endpoints, s.kinesis(),
                    s.dynamo(), app, stream, "w1").metrics(failures).build(), recorder.factory("w1"));
            consumer.start();
            try {
                await("the first records", Duration.ofSeconds(30), () -> recorder.distinct() == 2);
                s.gate().denied.addAll(Set.of("UpdateItem", "Scan", "GetItem")); // the policy loses the tables
                await("the refusal reported", Duration.ofSeconds(30), () -> failures.count("dynamodb:UpdateItem on "
                        + "worker table " + app + ConsumerConfig.WORKER_TABLE_SUFFIX) > 0);
                await("the lease dropped before the failover time (no heartbeat written)", Duration.ofSeconds(30),
                        () -> failures.lost.contains("shardId-000000000000") && consumer.heldLeases().isEmpty());
                s.gate().denied.clear();
                IntegrationSupport.fill(kinesis, stream, 2);
                await("taken again and the new records delivered", Duration.ofSeconds(30),
                        () -> recorder.totalDeliveries() >= 4);
            } finally {
                consumer.shutdown().get(30, TimeUnit.SECONDS);
            }
        }
        assertEquals(2, recorder.distinct());
    }
}
