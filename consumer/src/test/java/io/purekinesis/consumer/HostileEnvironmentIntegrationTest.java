package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/** Misuse and hostile environments around a running worker: calls back into it, its table or stream deleted. */
@ExtendWith(LocalEndpointsExtension.class)
class HostileEnvironmentIntegrationTest {

    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    @Test
    void closeCalledInsideProcessRecordsReturnsAtOnceAndTheShutdownCompletes(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "close-inside", 1);
        IntegrationSupport.fill(kinesis, stream, 3);
        AtomicReference<KinesisConsumer> self = new AtomicReference<>();
        AtomicLong closeMillis = new AtomicLong(-1);
        List<String> calls = new CopyOnWriteArrayList<>();
        RecordProcessorFactory factory = () -> new RecordProcessor() {
            @Override
            public void initialize(InitializationInput input) {
            }

            @Override
            public void processRecords(ProcessRecordsInput input) {
                input.checkpointer().checkpoint();
                long start = System.nanoTime();
                boolean closed = self.get().close(Duration.ofSeconds(20)); // e.g. "poison record: stop the app"
                closeMillis.set((System.nanoTime() - start) / 1_000_000);
                calls.add("close returned " + closed);
            }

            @Override
            public void leaseLost() {
                calls.add("leaseLost");
            }

            @Override
            public void shardEnded(Checkpointer checkpointer) {
            }

            @Override
            public void shutdownRequested(Checkpointer checkpointer) {
                calls.add("shutdownRequested");
            }
        };
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo,
                Streams.uniqueStreamName("app-close-inside"), stream, "w1").build(), factory);
        self.set(consumer);
        consumer.start();
        try {
            await("close() returned inside processRecords", Duration.ofSeconds(30), () -> closeMillis.get() >= 0);
            assertTrue(closeMillis.get() < 10_000, "close() waited on itself for " + closeMillis.get() + " ms");
            consumer.shutdown().get(30, TimeUnit.SECONDS);
            assertEquals(List.of("close returned false", "shutdownRequested"), calls);
            assertTrue(consumer.heldLeases().isEmpty(), "released");
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void aLeaseTableDeletedWhileRunningIsReportedAndNotRecreated(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "table-deleted", 1);
        IntegrationSupport.fill(kinesis, stream, 2);
        String app = Streams.uniqueStreamName("app-table-deleted");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        IntegrationSupport.Reports reports = new IntegrationSupport.Reports();
        // the leader reads the lease table every fullScanInterval (1 s here): that read finds it gone
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1")
                .fullScanInterval(Duration.ofSeconds(1)).metrics(reports).build(), recorder.factory("w1"));
        consumer.start();
        try {
            await("the records", Duration.ofSeconds(30), () -> recorder.distinct() == 2);
            dynamo.deleteTable(b -> b.tableName(app)).join();
            String scan = "dynamodb:Scan on lease table " + app + ": ResourceNotFoundException";
            await("the missing table reported", Duration.ofSeconds(30), () -> reports.count(scan) > 0);
            await("the lease counted as lost", Duration.ofSeconds(30), () -> reports.lost.size() == 1);
            long before = reports.count(scan);
            await("three more scans failed", Duration.ofSeconds(30), () -> reports.count(scan) >= before + 3);
            CompletionException e = assertThrows(CompletionException.class,
                    () -> dynamo.describeTable(b -> b.tableName(app)).join());
            assertTrue(e.getCause() instanceof ResourceNotFoundException, "not recreated behind the user's back");
            assertTrue(consumer.heldLeases().isEmpty());
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStreamDeletedWhileConsumingIsReported(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "stream-deleted", 1);
        IntegrationSupport.fill(kinesis, stream, 2);
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        IntegrationSupport.Reports reports = new IntegrationSupport.Reports();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo,
                Streams.uniqueStreamName("app-stream-deleted"), stream, "w1").metrics(reports).build(),
                recorder.factory("w1"));
        consumer.start();
        try {
            await("the records", Duration.ofSeconds(30), () -> recorder.distinct() == 2);
            Streams.deleteStream(kinesis, stream);
            await("the missing stream reported", Duration.ofSeconds(60), () -> reports.failures.stream()
                    .anyMatch(f -> f.startsWith("kinesis:") && f.contains("stream " + stream)
                            && f.endsWith("ResourceNotFoundException")));
            assertFalse(recorder.distinct() > 2);
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }
}
