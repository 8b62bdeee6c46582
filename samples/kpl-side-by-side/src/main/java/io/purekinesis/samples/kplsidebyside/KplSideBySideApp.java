package io.purekinesis.samples.kplsidebyside;

import com.google.common.util.concurrent.ListenableFuture;
import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.producer.KinesisProducer;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;
import software.amazon.kinesis.producer.UserRecordResult;

/**
 * An application that writes with the real KPL 1.1.1 (its native daemon, aggregation on) and reads with the
 * purekinesis consumer, as one moving its readers off KCL first would: both on whatever protobuf-java Maven picked,
 * KPL's, since nothing is pinned.
 */
public final class KplSideBySideApp implements AutoCloseable {

    private final Map<String, AtomicInteger> read = new ConcurrentHashMap<>();
    private final AtomicInteger aggregated = new AtomicInteger();
    private KinesisConsumer consumer;

    /**
     * Writes a first record, then {@code count} small records with KPL, and waits until each is stored.
     *
     * @param kpl the KPL settings (endpoint, region, credentials); aggregation is KPL's default, on
     * @return the data of every record, as the reader will report it
     */
    public static List<String> produceWithKpl(KinesisProducerConfiguration kpl, String stream, int count)
            throws Exception {
        KinesisProducer producer = new KinesisProducer(kpl);
        try {
            // KPL aggregates only once it knows the shard map, which it loads after it starts: the first record it
            // sends goes alone (and is read like any other).
            String first = "kpl-warm-up";
            check(producer.addUserRecord(stream, "warm-up", ByteBuffer.wrap(first.getBytes(StandardCharsets.UTF_8))));
            List<String> sent = new ArrayList<>(count + 1);
            sent.add(first);
            List<ListenableFuture<UserRecordResult>> futures = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String data = "kpl-record-" + i;
                sent.add(data);
                futures.add(producer.addUserRecord(stream, "customer-" + (i % 50),
                        ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8))));
            }
            producer.flushSync();
            for (ListenableFuture<UserRecordResult> f : futures) {
                check(f);
            }
            return sent;
        } finally {
            producer.destroy();
        }
    }

    private static void check(ListenableFuture<UserRecordResult> future) throws Exception {
        UserRecordResult result = future.get(60, TimeUnit.SECONDS);
        if (!result.isSuccessful()) {
            throw new IllegalStateException("KPL did not store a record: " + result.getAttempts());
        }
    }

    /** Starts the purekinesis consumer at the start of the stream. */
    public void startReader(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, String stream,
            String applicationName) {
        consumer = new KinesisConsumer(ConsumerConfig.builder()
                .applicationName(applicationName)
                .streamName(stream)
                .initialPosition(InitialPosition.trimHorizon())
                .kinesisClient(kinesis)
                .dynamoDbClient(dynamo)
                .build(), Recorder::new);
        consumer.start();
    }

    /** Data read by the purekinesis consumer, with how often each was delivered. */
    public Map<String, AtomicInteger> read() {
        return read;
    }

    /** User records the consumer took out of KPL's aggregates. */
    public int aggregated() {
        return aggregated.get();
    }

    @Override
    public void close() throws Exception {
        if (consumer != null) {
            consumer.shutdown().get(60, TimeUnit.SECONDS);
        }
    }

    /** Records what it reads, checkpoints after each batch. */
    private final class Recorder implements RecordProcessor {
        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            for (KinesisUserRecord r : input.records()) {
                read.computeIfAbsent(StandardCharsets.UTF_8.decode(r.data()).toString(), k -> new AtomicInteger())
                        .incrementAndGet();
                if (r.aggregated()) {
                    aggregated.incrementAndGet();
                }
            }
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
            checkpointer.checkpoint();
        }
    }
}
