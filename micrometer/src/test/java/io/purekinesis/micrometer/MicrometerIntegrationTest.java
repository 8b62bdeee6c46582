package io.purekinesis.micrometer;

import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_BYTES_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_CHECKPOINT_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_HELD;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_STOLEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_TAKEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_MILLIS_BEHIND_LATEST;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_BUFFERING_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_PUT;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_OUTSTANDING_BYTES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS_ENTRIES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PENDING;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * A real producer and two real consumer workers on the local endpoints, each with its binding on one registry: the
 * documented meters are registered and move (records put and processed, PutRecords calls, buffering, pending
 * records, lag per shard, leases held, taken and stolen), a lease handed off to a peer takes its lag gauge with it,
 * and {@code close()} leaves the registry empty.
 */
@ExtendWith(LocalEndpointsExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MicrometerIntegrationTest {

    private static final int RECORDS = 200;
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void producerAndConsumersMoveTheDocumentedMeters(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo)
            throws Exception {
        String stream = Streams.uniqueStreamName("micrometer");
        Streams.createStream(kinesis, stream, 2);
        try {
            produce(kinesis, stream);
            consume(kinesis, dynamo, stream);
        } finally {
            Streams.deleteStream(kinesis, stream);
        }
    }

    private void produce(KinesisAsyncClient kinesis, String stream) throws Exception {
        MicrometerProducerMetrics metrics = MicrometerProducerMetrics.builder(registry)
                .commonTags(Tags.of("application", "it")).build();
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis)
                .producerName("it-micrometer").recordMaxBufferedTime(Duration.ofSeconds(2)).metrics(metrics)
                .build())) {
            for (int i = 0; i < RECORDS; i++) {
                futures.add(producer.add(stream, "key-" + i, ("record-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            // buffered for 2 s: the sender's once-a-second sample sees them outstanding
            Await.until("pending records sampled", DEADLINE,
                    () -> registry.get(PRODUCER_USER_RECORDS_PENDING).gauge().value() > 0);
            assertTrue(registry.get(PRODUCER_OUTSTANDING_BYTES).gauge().value() > 0);
            producer.flush();
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(90, TimeUnit.SECONDS);
            // counted after the futures completed, on the callback thread
            Await.until("user records put counted", DEADLINE, () -> producerCount(stream, PRODUCER_USER_RECORDS_PUT)
                    == RECORDS);
        }
        double stored = producerCount(stream, PRODUCER_KINESIS_RECORDS_PUT);
        assertTrue(stored >= 2 && stored < RECORDS, "aggregated into a few Kinesis records per shard: " + stored);
        assertEquals(0, producerCount(stream, PRODUCER_KINESIS_RECORDS_FAILED));
        assertTrue(registry.get(PRODUCER_PUT_RECORDS).tags("stream", stream, "application", "it").timer().count()
                >= 1);
        assertEquals(stored, registry.get(PRODUCER_PUT_RECORDS_ENTRIES).tag("stream", stream).summary()
                .totalAmount(), 0.001, "every entry was stored at its first call");
        assertTrue(registry.get(PRODUCER_BUFFERING_TIME).tag("stream", stream).timer().count() >= 1);

        metrics.close();
        assertTrue(registry.find(PRODUCER_USER_RECORDS_PUT).meters().isEmpty());
        assertTrue(registry.find(PRODUCER_USER_RECORDS_PENDING).meters().isEmpty());
    }

    private void consume(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, String stream) throws Exception {
        String app = Streams.uniqueStreamName("app-micrometer");
        MicrometerConsumerMetrics m1 = consumerMetrics(stream, "w1");
        KinesisConsumer w1 = new KinesisConsumer(config(kinesis, dynamo, app, stream, "w1", m1), Checkpointing::new);
        MicrometerConsumerMetrics m2 = consumerMetrics(stream, "w2");
        KinesisConsumer w2 = new KinesisConsumer(config(kinesis, dynamo, app, stream, "w2", m2), Checkpointing::new);
        try {
            w1.start();
            Await.until("w1 processed every record", DEADLINE, () -> processed("w1") == RECORDS);
            Await.until("w1 holds both leases", DEADLINE, () -> gauge(CONSUMER_LEASES_HELD, "w1") == 2);
            Await.until("w1 has a lag gauge per shard", DEADLINE, () -> lagGauges("w1") == 2);
            assertEquals(2, counter(CONSUMER_LEASES_TAKEN, "w1"));
            assertTrue(registry.find(CONSUMER_BYTES_PROCESSED).tag("worker", "w1").counters().stream()
                    .mapToDouble(Counter::count).sum() >= RECORDS * "record-0".length());
            assertTrue(registry.find(CONSUMER_CHECKPOINT_TIME).tag("worker", "w1").timers().stream()
                    .mapToLong(t -> t.count()).sum() >= 2, "a checkpoint per shard at least");

            // a second worker balances: it steals one lease, w1 hands it off (no leaseLost) and its lag gauge goes
            w2.start();
            Await.until("w2 stole a lease", DEADLINE, () -> counter(CONSUMER_LEASES_STOLEN, "w2") == 1);
            Await.until("each worker holds one lease", DEADLINE,
                    () -> gauge(CONSUMER_LEASES_HELD, "w1") == 1 && gauge(CONSUMER_LEASES_HELD, "w2") == 1);
            Await.until("each worker has one lag gauge", DEADLINE,
                    () -> lagGauges("w1") == 1 && lagGauges("w2") == 1);
            String shard1 = registry.find(CONSUMER_MILLIS_BEHIND_LATEST).tag("worker", "w1").gauge().getId()
                    .getTag("shard");
            String shard2 = registry.find(CONSUMER_MILLIS_BEHIND_LATEST).tag("worker", "w2").gauge().getId()
                    .getTag("shard");
            assertTrue(!shard1.equals(shard2), "the two workers' lag gauges are for different shards");
        } finally {
            CompletableFuture.allOf(w1.shutdown(), w2.shutdown()).get(60, TimeUnit.SECONDS);
        }
        m1.close();
        m2.close();
        assertTrue(registry.getMeters().isEmpty(), "close() removed every meter: " + registry.getMeters());
    }

    private MicrometerConsumerMetrics consumerMetrics(String stream, String worker) {
        return MicrometerConsumerMetrics.builder(registry).stream(stream).commonTags(Tags.of("worker", worker))
                .perShardTags(true).build();
    }

    private static ConsumerConfig config(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo, String app,
            String stream, String worker, MicrometerConsumerMetrics metrics) {
        return ConsumerConfig.builder().applicationName(app).streamName(stream).workerId(worker)
                .initialPosition(InitialPosition.trimHorizon()).failoverTime(Duration.ofSeconds(3))
                .idleTimeBetweenReads(Duration.ofMillis(300)).kinesisClient(kinesis).dynamoDbClient(dynamo)
                .metrics(metrics).build();
    }

    private double producerCount(String stream, String name) {
        return registry.get(name).tags("stream", stream, "application", "it").counter().count();
    }

    private double processed(String worker) {
        return registry.find(CONSUMER_RECORDS_PROCESSED).tag("worker", worker).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private double gauge(String name, String worker) {
        return registry.get(name).tag("worker", worker).gauge().value();
    }

    private double counter(String name, String worker) {
        return registry.get(name).tag("worker", worker).counter().count();
    }

    private int lagGauges(String worker) {
        return registry.find(CONSUMER_MILLIS_BEHIND_LATEST).tag("worker", worker).gauges().size();
    }

    /** Checkpoints after every batch and when told to stop or hand off. */
    static final class Checkpointing implements RecordProcessor {
        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
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
