package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

@ExtendWith(LocalEndpointsExtension.class)
class StartupAndResumeIntegrationTest {

    /** Deleted after each test: the emulator allows 50 open shards, and the module's tests share it. */
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    @Test
    void freshLeaseTableDeliversTheFirstRecordWithinSeconds(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "startup", 2);
        IntegrationSupport.fill(kinesis, stream, 1);
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo,
                Streams.uniqueStreamName("app-startup"), stream, "w1").build(), recorder.factory("w1"));
        long start = System.nanoTime();
        try {
            consumer.start();
            await("first record", Duration.ofSeconds(60), () -> recorder.firstDeliveryNanos.get() != 0);
            long millis = (recorder.firstDeliveryNanos.get() - start) / 1_000_000;
            System.out.printf("fresh lease table: first record delivered %d ms after start()%n", millis);
            assertTrue(millis < 10_000, "first record after " + millis + " ms");
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    /** Delivers everything; checkpoints once at a chosen sub-sequence number, never elsewhere. */
    static final class CheckpointAt implements RecordProcessor {
        final List<KinesisUserRecord> delivered = new CopyOnWriteArrayList<>();
        final long checkpointSub;
        volatile boolean checkpointed;

        CheckpointAt(long checkpointSub) {
            this.checkpointSub = checkpointSub;
        }

        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            delivered.addAll(input.records());
            for (KinesisUserRecord r : input.records()) {
                if (r.aggregated() && r.subSequenceNumber() == checkpointSub && !checkpointed) {
                    input.checkpointer().checkpoint(r);
                    checkpointed = true;
                }
            }
        }

        @Override
        public void leaseLost() {
        }

        @Override
        public void shardEnded(Checkpointer checkpointer) {
            checkpointer.checkpoint();
        }

        @Override
        public void shutdownRequested(Checkpointer checkpointer) {
        }
    }

    @ParameterizedTest
    @EnumSource(RetrievalMode.class)
    void resumesInsideAnAggregatedRecordAtTheNextUserRecord(RetrievalMode mode, LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "resume", 1);
        AggregateEncoder encoder = new AggregateEncoder();
        for (int i = 0; i < 10; i++) {
            encoder.add("pk-" + i, null, ("agg-" + i).getBytes(StandardCharsets.UTF_8));
        }
        String aggregateSeq = kinesis.putRecord(b -> b.streamName(stream).partitionKey("a")
                .data(SdkBytes.fromByteArray(encoder.toByteArray()))).join().sequenceNumber();
        kinesis.putRecord(b -> b.streamName(stream).partitionKey("plain").data(SdkBytes.fromUtf8String("after")))
                .join();
        String app = Streams.uniqueStreamName("app-resume");

        CheckpointAt first = new CheckpointAt(4);
        KinesisConsumer c1 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1", mode)
                .build(), () -> first);
        c1.start();
        try {
            await("checkpoint at sub-sequence 4", Duration.ofSeconds(60), () -> first.checkpointed);
        } finally {
            c1.shutdown().get(30, TimeUnit.SECONDS);
        }
        assertEquals(11, first.delivered.size());

        CheckpointAt second = new CheckpointAt(-1);
        KinesisConsumer c2 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w2", mode)
                .build(), () -> second);
        c2.start();
        try {
            await("records after the checkpoint", Duration.ofSeconds(60), () -> second.delivered.size() >= 6);
        } finally {
            c2.shutdown().get(30, TimeUnit.SECONDS);
        }
        KinesisUserRecord next = second.delivered.get(0);
        assertEquals(aggregateSeq, next.sequenceNumber());
        assertEquals(5, next.subSequenceNumber());
        assertEquals("agg-5", new String(next.dataBytes(), StandardCharsets.UTF_8));
        assertEquals(List.of("agg-5", "agg-6", "agg-7", "agg-8", "agg-9", "after"), second.delivered.stream()
                .map(r -> new String(r.dataBytes(), StandardCharsets.UTF_8)).toList());
    }
}
