package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerConfig.ProcessorFailurePolicy;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The bad-input catalogue of {@link ConsumerConfig.Builder}: every setting {@code build()} refuses, with the exception
 * type and a specific message fragment, including names the services would refuse; and the one error only Kinesis
 * can tell, a missing stream, which {@link KinesisConsumer#start()} refuses before it creates the lease table.
 */
@ExtendWith(LocalEndpointsExtension.class)
class BadInputConsumerConfigTest {

    private static KinesisAsyncClient kinesis;
    private static DynamoDbAsyncClient dynamo;
    private static String stream;

    @BeforeAll
    static void stream(KinesisAsyncClient k, DynamoDbAsyncClient d) {
        kinesis = k;
        dynamo = d;
        stream = Streams.uniqueStreamName("bad-input-consumer");
        Streams.createStream(kinesis, stream, 1);
    }

    private static ConsumerConfig.Builder valid() {
        return ConsumerConfig.builder().applicationName("app").streamName("stream");
    }

    static Stream<Arguments> buildRows() {
        Duration s1 = Duration.ofSeconds(1);
        List<Arguments> rows = new ArrayList<>(List.of(
                row("applicationName missing", b -> b.applicationName(null),
                        "applicationName is required and must not be blank, was null"),
                row("applicationName blank", b -> b.applicationName(" "),
                        "applicationName is required and must not be blank, was ' '"),
                row("streamName missing", b -> b.streamName(null),
                        "streamName is required (or streams, or streamTracker, for multi-stream mode), was null"),
                row("streamName empty", b -> b.streamName(""),
                        "streamName is required and must not be blank, was ''"),
                row("streamName and streams both set", b -> b.streams("a", "b"),
                        "set one of streamName (one stream), streams (a fixed set) or streamTracker (streams added "
                                + "and removed while running), not streamName and streams"),
                row("streams empty", b -> b.streamName(null).streams(List.of()),
                        "streams must name at least one stream, was empty"),
                row("streams naming a stream twice", b -> b.streamName(null).streams("orders",
                        "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"), "streams names stream orders twice"),
                row("leaseTableName blank", b -> b.leaseTableName("\t"),
                        "leaseTableName is required and must not be blank"),
                row("workerId blank", b -> b.workerId(""), "workerId is required and must not be blank, was ''"),
                row("initialPosition null", b -> b.initialPosition(null), "initialPosition must not be null"),
                row("processorFailurePolicy null", b -> b.processorFailurePolicy(null),
                        "processorFailurePolicy must not be null"),
                row("metrics null", b -> b.metrics(null), "metrics must not be null"),
                row("clock null", b -> b.clock(null), "clock must not be null"),
                row("failoverTime null", b -> b.failoverTime(null), "failoverTime must not be null"),
                row("failoverTime 299 ms", b -> b.failoverTime(Duration.ofMillis(299)),
                        "failoverTime must be between PT0.3S and PT1H, was PT0.299S"),
                row("failoverTime zero", b -> b.failoverTime(Duration.ZERO),
                        "failoverTime must be between PT0.3S and PT1H, was PT0S"),
                row("failoverTime negative", b -> b.failoverTime(Duration.ofSeconds(-10)),
                        "failoverTime must be between PT0.3S and PT1H, was PT-10S"),
                row("failoverTime over 1 h", b -> b.failoverTime(Duration.ofHours(1).plusMillis(1)),
                        "failoverTime must be between PT0.3S and PT1H, was PT1H0.001S"),
                row("heartbeatInterval 9 ms", b -> b.heartbeatInterval(Duration.ofMillis(9)),
                        "heartbeatInterval must be between PT0.01S and PT5S, was PT0.009S"),
                row("heartbeatInterval negative", b -> b.heartbeatInterval(Duration.ofMillis(-1)),
                        "heartbeatInterval must be between PT0.01S and PT5S, was PT-0.001S"),
                row("heartbeatInterval over failoverTime / 2", b -> b.heartbeatInterval(Duration.ofSeconds(6)),
                        "heartbeatInterval must be between PT0.01S and PT5S, was PT6S"),
                row("heartbeatInterval > failoverTime", b -> b.failoverTime(s1).heartbeatInterval(
                        Duration.ofSeconds(2)), "heartbeatInterval must be between PT0.01S and PT0.5S, was PT2S"),
                row("monitorInterval 9 ms", b -> b.monitorInterval(Duration.ofMillis(9)),
                        "monitorInterval must be between PT0.01S and PT10S, was PT0.009S"),
                row("monitorInterval > failoverTime", b -> b.monitorInterval(Duration.ofSeconds(11)),
                        "monitorInterval must be between PT0.01S and PT10S, was PT11S"),
                row("maxLeasesToMoveAtOneTime 0", b -> b.maxLeasesToMoveAtOneTime(0),
                        "maxLeasesToMoveAtOneTime must be between 1 and 10000, was 0"),
                row("maxLeasesToMoveAtOneTime 10001", b -> b.maxLeasesToMoveAtOneTime(10_001),
                        "maxLeasesToMoveAtOneTime must be between 1 and 10000, was 10001"),
                row("fullScanInterval under 1 s", b -> b.fullScanInterval(Duration.ofMillis(999)),
                        "fullScanInterval must be between PT1S and PT24H, was PT0.999S"),
                row("gracefulHandoffTimeout negative", b -> b.gracefulHandoffTimeout(Duration.ofSeconds(-1)),
                        "gracefulHandoffTimeout must be between PT0S and PT1H, was PT-1S"),
                row("maxRecords 0", b -> b.maxRecords(0), "maxRecords must be between 1 and 10000, was 0"),
                row("maxRecords negative", b -> b.maxRecords(-1), "maxRecords must be between 1 and 10000, was -1"),
                row("maxRecords 10001", b -> b.maxRecords(10_001),
                        "maxRecords must be between 1 and 10000, was 10001"),
                row("idleTimeBetweenReads negative", b -> b.idleTimeBetweenReads(Duration.ofMillis(-1)),
                        "idleTimeBetweenReads must be between PT0S and PT1M, was PT-0.001S"),
                row("idleTimeBetweenReads over 1 min", b -> b.idleTimeBetweenReads(Duration.ofSeconds(61)),
                        "idleTimeBetweenReads must be between PT0S and PT1M, was PT1M1S"),
                row("idleTimeBetweenReads null", b -> b.idleTimeBetweenReads(null),
                        "idleTimeBetweenReads must not be null"),
                row("minTimeBetweenReads 199 ms", b -> b.minTimeBetweenReads(Duration.ofMillis(199)),
                        "minTimeBetweenReads must be between PT0.2S and PT1M, was PT0.199S"),
                row("minTimeBetweenReads zero", b -> b.minTimeBetweenReads(Duration.ZERO),
                        "minTimeBetweenReads must be between PT0.2S and PT1M, was PT0S"),
                row("minTimeBetweenReads over 1 min", b -> b.minTimeBetweenReads(Duration.ofSeconds(61)),
                        "minTimeBetweenReads must be between PT0.2S and PT1M, was PT1M1S"),
                row("maxPrefetchBatches 0", b -> b.maxPrefetchBatches(0),
                        "maxPrefetchBatches must be between 1 and 100, was 0"),
                row("maxPrefetchBatches 101", b -> b.maxPrefetchBatches(101),
                        "maxPrefetchBatches must be between 1 and 100, was 101"),
                row("shardSyncInterval 999 ms", b -> b.shardSyncInterval(Duration.ofMillis(999)),
                        "shardSyncInterval must be between PT1S and PT24H, was PT0.999S"),
                row("shardSyncInterval negative", b -> b.shardSyncInterval(Duration.ofSeconds(-1)),
                        "shardSyncInterval must be between PT1S and PT24H, was PT-1S"),
                row("shardSyncInterval over 1 day", b -> b.shardSyncInterval(Duration.ofDays(1).plusSeconds(1)),
                        "shardSyncInterval must be between PT1S and PT24H, was PT24H1S"),
                row("processorMaxAttempts 0", b -> b.processorMaxAttempts(0),
                        "processorMaxAttempts must be between 1 and 100, was 0"),
                row("processorMaxAttempts 101", b -> b.processorMaxAttempts(101),
                        "processorMaxAttempts must be between 1 and 100, was 101"),
                row("processorRetryBackoff base zero", b -> b.processorRetryBackoff(Duration.ZERO, s1),
                        "processorRetryBackoffBase must be between 1 ms and processorRetryBackoffMax (PT1S), was PT0S"),
                row("processorRetryBackoff base > max", b -> b.processorRetryBackoff(Duration.ofSeconds(2), s1),
                        "processorRetryBackoffBase must be between 1 ms and processorRetryBackoffMax (PT1S), was PT2S"),
                row("processorRetryBackoff max null", b -> b.processorRetryBackoff(s1, null),
                        "processorRetryBackoffMax must not be null"),
                row("processorRetryBackoff base null", b -> b.processorRetryBackoff(null, s1),
                        "processorRetryBackoffBase must not be null"),
                row("DEAD_LETTER without deadLetterHandler",
                        b -> b.processorFailurePolicy(ProcessorFailurePolicy.DEAD_LETTER),
                        "processorFailurePolicy DEAD_LETTER needs a deadLetterHandler, which is not set"),
                row("kinesisClient with kinesisEndpoint", b -> b.kinesisClient(kinesis)
                        .kinesisEndpoint(URI.create("http://127.0.0.1:1")),
                        "kinesisEndpoint (http://127.0.0.1:1) conflicts with kinesisClient"),
                row("dynamoDbClient with dynamoDbEndpoint", b -> b.dynamoDbClient(dynamo)
                        .dynamoDbEndpoint(URI.create("http://127.0.0.1:2")),
                        "dynamoDbEndpoint (http://127.0.0.1:2) conflicts with dynamoDbClient")));
        rows.add(Arguments.of("InitialPosition.atTimestamp(null)",
                (Consumer<ConsumerConfig.Builder>) b -> b.initialPosition(InitialPosition.atTimestamp(null)),
                NullPointerException.class, "timestamp"));
        return rows.stream();
    }

    @ParameterizedTest(name = "ConsumerConfig: {0}")
    @MethodSource("buildRows")
    void refusedByBuild(String name, Consumer<ConsumerConfig.Builder> change, Class<? extends Throwable> type,
            String fragment) {
        ConsumerConfig.Builder b = valid();
        Throwable t = assertThrows(type, () -> {
            change.accept(b);
            b.build();
        }, name);
        assertTrue(t.getMessage() != null && t.getMessage().contains(fragment),
                "message of " + name + ": " + t.getMessage());
        System.out.printf("BAD INPUT ConsumerConfig | %s | %s at build() | %s%n", name, type.getSimpleName(),
                t.getMessage());
    }

    /** Names the services would refuse: {@code build()} refuses them, naming the value. */
    static Stream<Arguments> nameRows() {
        return Stream.of(
                Arguments.of("streamName not a valid stream name", (Function<String, ConsumerConfig.Builder>) app ->
                        base(app).streamName("bad stream!"), "streamName: stream must be a stream name of 1-128 characters"),
                Arguments.of("applicationName too short for a DynamoDB table (2 chars)",
                        (Function<String, ConsumerConfig.Builder>) app -> base("ab"),
                        "applicationName must be a DynamoDB table name of 3-255 characters"),
                Arguments.of("applicationName with characters DynamoDB refuses",
                        (Function<String, ConsumerConfig.Builder>) app -> base(app + " with spaces"),
                        "with spaces"));
    }

    @ParameterizedTest(name = "ConsumerConfig: {0}")
    @MethodSource("nameRows")
    void namesRefusedByBuild(String name, Function<String, ConsumerConfig.Builder> config, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config.apply(Streams.uniqueStreamName("bad-input-app")).build(), name);
        assertTrue(e.getMessage().contains(fragment), "message of " + name + ": " + e.getMessage());
        System.out.printf("BAD INPUT ConsumerConfig | %s | IllegalArgumentException at build() | %s%n", name,
                e.getMessage());
    }

    /**
     * A stream that does not exist can only be found out by asking Kinesis: {@code start()} refuses it, naming the
     * stream, and checks it before creating the lease table, so nothing is left behind.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aMissingStreamIsRefusedByStartBeforeTheLeaseTableIsCreated() {
        String app = Streams.uniqueStreamName("bad-input-app");
        KinesisConsumer consumer = new KinesisConsumer(base(app).streamName(stream + "-missing").build(),
                NoOpProcessor::new);
        long t0 = System.nanoTime();
        try {
            KinesisConsumerException e = assertThrows(KinesisConsumerException.class, consumer::start);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.getMessage().contains("could not start consumer"), e.getMessage());
            assertTrue(e.getMessage().contains("ResourceNotFoundException"), e.getMessage());
            assertTrue(e.getMessage().contains(stream + "-missing"), e.getMessage());
            assertFalse(dynamo.listTables().join().tableNames().contains(app), "lease table created anyway");
            System.out.printf("BAD INPUT ConsumerConfig | stream that does not exist | KinesisConsumerException at"
                    + " start() after %d ms, no lease table created | %s%n", millis, e.getMessage());
        } finally {
            consumer.shutdown().join();
        }
    }

    private static ConsumerConfig.Builder base(String app) {
        return ConsumerConfig.builder().applicationName(app).streamName(stream).workerId("bad-input")
                .kinesisClient(kinesis).dynamoDbClient(dynamo);
    }

    private static Arguments row(String name, Consumer<ConsumerConfig.Builder> change, String fragment) {
        return Arguments.of(name, change, IllegalArgumentException.class, fragment);
    }

    static final class NoOpProcessor implements RecordProcessor {
        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
        }

        @Override
        public void leaseLost() {
        }

        @Override
        public void shardEnded(io.purekinesis.consumer.Checkpointer checkpointer) {
            checkpointer.checkpoint();
        }

        @Override
        public void shutdownRequested(io.purekinesis.consumer.Checkpointer checkpointer) {
        }
    }
}
