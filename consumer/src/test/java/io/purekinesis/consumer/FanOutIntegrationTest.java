package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.EmulatorFanOut;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;

/** What only fan-out mode does: bounded buffering under a slow processor, and applications reading side by side. */
@ExtendWith(LocalEndpointsExtension.class)
class FanOutIntegrationTest {

    /** Deleted after each test: the emulator allows 50 open shards, and the module's tests share it. */
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    private static final int MAX_BATCHES = 2;

    /** Blocks in its first processRecords until released; counts the user records it was handed. */
    static final class GatedProcessor implements RecordProcessor {
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Set<String> processed = ConcurrentHashMap.newKeySet();
        final AtomicLong handed = new AtomicLong();

        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            handed.addAndGet(input.records().size());
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            input.records().forEach(r -> processed.add(new String(r.dataBytes(), StandardCharsets.UTF_8)));
            input.checkpointer().checkpoint();
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

    private static void put(KinesisAsyncClient kinesis, String stream, String data) {
        kinesis.putRecord(b -> b.streamName(stream).partitionKey(data).data(SdkBytes.fromUtf8String(data))).join();
    }

    @Test
    void aSlowProcessorHoldsBackTheSubscriptionInsteadOfBufferingEvents(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "slow", 1);
        EmulatorFanOut probe = new EmulatorFanOut(kinesis);
        GatedProcessor processor = new GatedProcessor();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, probe.client(), dynamo,
                Streams.uniqueStreamName("app-slow"), stream, "w1").retrievalMode(RetrievalMode.FAN_OUT)
                .maxPrefetchBatches(MAX_BATCHES).build(), () -> processor);
        consumer.start();
        try {
            put(kinesis, stream, "r0");
            assertTrue(processor.blocked.await(60, TimeUnit.SECONDS), "first batch handed to the processor");
            // one record per event: each put is delivered before the next is put, while the queue has room
            for (int i = 1; i <= MAX_BATCHES; i++) {
                put(kinesis, stream, "r" + i);
                long events = 1 + i;
                await("event " + events + " with records", Duration.ofSeconds(30),
                        () -> probe.deliveredWithRecords() == events);
            }
            // the queue is full and the processor busy: the subscription has no demand left
            await("no outstanding demand", Duration.ofSeconds(30),
                    () -> probe.requested() == probe.delivered());
            for (int i = MAX_BATCHES + 1; i <= MAX_BATCHES + 5; i++) {
                put(kinesis, stream, "r" + i); // Kinesis has more, and must wait
            }
            System.out.printf("slow processor: %d events requested, %d delivered (%d with records), at most %d"
                    + " outstanding%n", probe.requested(), probe.delivered(),
                    probe.deliveredWithRecords(), probe.maxOutstandingPerSubscription());
            assertEquals(1, probe.maxOutstandingPerSubscription(), "one event requested at a time");
            assertEquals(1 + MAX_BATCHES, probe.deliveredWithRecords(),
                    "one batch in the processor plus a full queue, no more");
            assertEquals(1, processor.handed.get());

            processor.release.countDown();
            Set<String> all = Set.of("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
            await("every record processed", Duration.ofSeconds(60), () -> processor.processed.containsAll(all));
            assertEquals(1, probe.maxOutstandingPerSubscription());
        } finally {
            processor.release.countDown();
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoApplicationsReadOneStreamAtTheSameTimeEachGettingEveryRecord(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "two-apps", 2);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 50);
        IntegrationSupport.Recorder a = new IntegrationSupport.Recorder();
        IntegrationSupport.Recorder b = new IntegrationSupport.Recorder();
        ConsumerConfig configA = config(endpoints, kinesis, dynamo, Streams.uniqueStreamName("app-a"), stream, "a1",
                RetrievalMode.FAN_OUT).build();
        ConsumerConfig configB = config(endpoints, kinesis, dynamo, Streams.uniqueStreamName("app-b"), stream, "b1",
                RetrievalMode.FAN_OUT).build();
        KinesisConsumer appA = new KinesisConsumer(configA, a.factory("a1"));
        KinesisConsumer appB = new KinesisConsumer(configB, b.factory("b1"));
        appA.start();
        appB.start();
        try {
            await("both applications got every record", Duration.ofSeconds(60),
                    () -> a.distinct() == expected.size() && b.distinct() == expected.size());
            for (int i = 0; i < 20; i++) { // live records reach both too
                String data = "live-" + i;
                put(kinesis, stream, data);
                expected.add(data);
            }
            expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", a, Duration.ofSeconds(60))
                    .data());
            await("b got the markers", Duration.ofSeconds(60), () -> b.distinct() == expected.size());
        } finally {
            appA.shutdown().get(30, TimeUnit.SECONDS);
            appB.shutdown().get(30, TimeUnit.SECONDS);
        }
        assertEquals(expected, a.deliveries.keySet());
        assertEquals(expected, b.deliveries.keySet());
        assertEquals(List.of(), a.duplicates());
        assertEquals(List.of(), b.duplicates());

        String streamArn = kinesis.describeStreamSummary(r -> r.streamName(stream)).join()
                .streamDescriptionSummary().streamARN();
        List<Consumer> registered = kinesis.listStreamConsumers(r -> r.streamARN(streamArn)).join().consumers();
        assertEquals(Set.of(configA.fanOutConsumerName(), configB.fanOutConsumerName()), Set.copyOf(
                registered.stream().map(Consumer::consumerName).toList()), "one stream consumer per application");

        // deregistration is the user's call, never the consumer's: both are still there after the shutdowns
        assertTrue(KinesisConsumer.deregisterStreamConsumer(configA));
        assertTrue(KinesisConsumer.deregisterStreamConsumer(configB));
        await("both deregistered", Duration.ofSeconds(30), () -> kinesis.listStreamConsumers(
                r -> r.streamARN(streamArn)).join().consumers().stream()
                .allMatch(c -> c.consumerStatus() == ConsumerStatus.DELETING));
        assertFalse(kinesis.listStreamConsumers(r -> r.streamARN(streamArn)).join().consumers().stream()
                .anyMatch(c -> c.consumerStatus() == ConsumerStatus.ACTIVE));
    }
}
