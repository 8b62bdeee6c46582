package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/** Several workers on one 8-shard stream: even lease split, every record processed exactly once. */
@ExtendWith(LocalEndpointsExtension.class)
class LeaseSharingIntegrationTest {

    /** Deleted after each test: the emulator allows 50 open shards, and the module's tests share it. */
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    private static final int SHARDS = 8;
    private static final int PER_SHARD = 100;

    /** Polling with 2 and 3 workers; fan-out with 3 (the odd split), to keep the build's time down. */
    static Stream<Arguments> workersAndModes() {
        return Stream.of(Arguments.of(2, RetrievalMode.POLLING), Arguments.of(3, RetrievalMode.POLLING),
                Arguments.of(3, RetrievalMode.FAN_OUT));
    }

    @ParameterizedTest(name = "{0} workers, {1}")
    @MethodSource("workersAndModes")
    void workersShareLeasesEvenlyAndProcessEveryRecordExactlyOnce(int workerCount, RetrievalMode mode,
            LocalEndpoints endpoints, KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "share" + workerCount, SHARDS);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-share" + workerCount);
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        List<KinesisConsumer> workers = new ArrayList<>();
        for (int i = 1; i <= workerCount; i++) {
            String id = "w" + i;
            workers.add(new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, id, mode).build(),
                    recorder.factory(id)));
        }
        try {
            long start = System.nanoTime();
            for (KinesisConsumer w : workers) {
                w.start();
            }
            int low = SHARDS / workerCount;
            int high = (SHARDS + workerCount - 1) / workerCount;
            await("balanced leases", Duration.ofSeconds(60), () -> workers.stream().allMatch(w -> {
                int n = w.activeShards().size();
                return n >= low && n <= high;
            }) && workers.stream().mapToInt(w -> w.activeShards().size()).sum() == SHARDS);
            await("all records processed", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
            System.out.printf("%d workers: %d records in %d ms; leases %s%n", workerCount, expected.size(),
                    (System.nanoTime() - start) / 1_000_000,
                    workers.stream().map(w -> w.config().workerId() + "=" + w.activeShards().size()).toList());
            // nothing more may arrive: once a marker put after the records is delivered and checkpointed in every
            // shard, no record before it is delivered again, by any worker
            expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                    Duration.ofSeconds(60)).data());
            assertEquals(expected, recorder.deliveries.keySet());
            assertEquals(List.of(), recorder.duplicates(), "records delivered more than once");
            assertEquals(List.of(), recorder.sameInstanceDuplicates);
            assertEquals(expected.size(), recorder.totalDeliveries());
        } finally {
            CompletableFuture.allOf(workers.stream().map(KinesisConsumer::shutdown)
                    .toArray(CompletableFuture[]::new)).get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertTrue(workers.stream().allMatch(w -> w.heldLeases().isEmpty()));
    }
}
