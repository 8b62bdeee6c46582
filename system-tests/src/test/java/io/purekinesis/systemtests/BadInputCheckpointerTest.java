package io.purekinesis.systemtests;

import static io.purekinesis.systemtests.StalledEndpointSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.InvalidCheckpointException;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.testkit.Streams;
import io.purekinesis.testkit.LocalEndpointsExtension;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The bad-input catalogue of the consumer's {@link Checkpointer}: a live worker on a one-shard stream holds 20 user
 * records (two KPL aggregates of 10) in a processor that is checkpointed at the 13th record; each row makes one bad
 * checkpoint call on the processor's thread and asserts the exception type and message fragment, and that the
 * checkpoint, as the checkpointer and the lease table see it, did not move. Then a valid checkpoint still works, and
 * after another worker takes the lease every checkpoint throws {@link LeaseLostException}.
 */
@ExtendWith(LocalEndpointsExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputCheckpointerTest {

    private static final int RECORDS = 20;
    private static final Runnable RELEASE = () -> { };

    private static KinesisAsyncClient kinesis;
    private static DynamoDbAsyncClient dynamo;
    private static String app;
    private static String shardId;
    private static KinesisConsumer worker;
    private static final List<KinesisUserRecord> delivered = new CopyOnWriteArrayList<>();
    private static final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private static final CountDownLatch holding = new CountDownLatch(1);
    private static volatile Checkpointer checkpointer;
    private static ExtendedSequenceNumber established;

    @BeforeAll
    static void workerHoldingTwentyRecords(KinesisAsyncClient k, DynamoDbAsyncClient d) throws Exception {
        kinesis = k;
        dynamo = d;
        String stream = Streams.uniqueStreamName("bad-input-checkpoint");
        Streams.createStream(kinesis, stream, 1);
        shardId = kinesis.listShards(b -> b.streamName(stream)).join().shards().get(0).shardId();
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis)
                .recordMaxBufferedTime(Duration.ofSeconds(1)).producerName("bad-input-checkpoint").build());
        try {
            for (int batch = 0; batch < 2; batch++) { // two aggregates of 10 user records each
                for (int i = 0; i < RECORDS / 2; i++) {
                    producer.add(stream, "key-" + i, ("record-" + batch + "-" + i).getBytes(StandardCharsets.UTF_8));
                }
                assertTrue(producer.flushSync(Duration.ofSeconds(60)), "records not stored");
            }
        } finally {
            producer.close(Duration.ofSeconds(10));
        }
        app = Streams.uniqueStreamName("bad-input-checkpoint-app");
        worker = new KinesisConsumer(ConsumerConfig.builder().applicationName(app).streamName(stream)
                .workerId("checkpoint-worker").initialPosition(InitialPosition.trimHorizon())
                .idleTimeBetweenReads(Duration.ofMillis(200)).kinesisClient(kinesis).dynamoDbClient(dynamo).build(),
                HoldingProcessor::new);
        worker.start();
        assertTrue(holding.await(60, TimeUnit.SECONDS), "the processor never got the " + RECORDS + " records");
        assertTrue(delivered.get(12).aggregated() && delivered.get(12).subSequenceNumber() > 0
                && delivered.get(19).aggregated(), "expected two aggregates of 10: " + delivered);
        KinesisUserRecord thirteenth = delivered.get(12);
        onProcessor(() -> checkpointer.checkpoint(thirteenth)).get(30, TimeUnit.SECONDS);
        established = thirteenth.extendedSequenceNumber();
        assertEquals(established, tableCheckpoint());
        System.out.printf("BAD INPUT Checkpointer: %d records delivered in %d Kinesis records (%s), checkpoint at %s%n",
                delivered.size(), delivered.stream().map(KinesisUserRecord::sequenceNumber).distinct().count(),
                delivered.get(0).aggregated() ? "aggregated" : "plain", established);
    }

    @AfterAll
    static void stopWorker() throws Exception {
        tasks.add(RELEASE);
        if (worker != null) {
            worker.shutdown().get(60, TimeUnit.SECONDS);
        }
    }

    static Stream<Arguments> rows() {
        return Stream.of(
                row("backwards: an earlier record", r -> () -> checkpointer.checkpoint(r.get(5)),
                        InvalidCheckpointException.class, "goes backwards: the last checkpoint is"),
                row("backwards: same aggregate, lower sub-sequence number", r -> () -> checkpointer.checkpoint(
                        r.get(12).sequenceNumber(), r.get(12).subSequenceNumber() - 1),
                        InvalidCheckpointException.class, "goes backwards"),
                row("beyond delivered: sub-sequence number past the last user record",
                        r -> () -> checkpointer.checkpoint(last(r).sequenceNumber(), last(r).subSequenceNumber() + 1),
                        InvalidCheckpointException.class, "is beyond the last delivered record"),
                row("beyond delivered: next sequence number", r -> () -> checkpointer.checkpoint(
                        next(last(r).sequenceNumber()), 0), InvalidCheckpointException.class,
                        "is beyond the last delivered record"),
                row("beyond delivered: 100-digit sequence number", r -> () -> checkpointer.checkpoint("9".repeat(100),
                        0), InvalidCheckpointException.class, "is beyond the last delivered record"),
                row("beyond delivered: a hand-made record", r -> () -> checkpointer.checkpoint(new KinesisUserRecord(
                        "k", null, new byte[0], null, next(last(r).sequenceNumber()), 0, false)),
                        InvalidCheckpointException.class, "is beyond the last delivered record"),
                row("malformed: letters", r -> () -> checkpointer.checkpoint("12ab", 0),
                        InvalidCheckpointException.class, "sequenceNumber must be a decimal number without leading"
                                + " zeros (at most 129 digits) or a sentinel (TRIM_HORIZON, LATEST, AT_TIMESTAMP,"
                                + " SHARD_END), was '12ab'"),
                row("malformed: empty", r -> () -> checkpointer.checkpoint("", 0),
                        InvalidCheckpointException.class, "was ''"),
                row("malformed: negative", r -> () -> checkpointer.checkpoint("-" + r.get(15).sequenceNumber(), 0),
                        InvalidCheckpointException.class, "sequenceNumber must be a decimal number"),
                row("malformed: whitespace", r -> () -> checkpointer.checkpoint(" " + r.get(15).sequenceNumber(), 0),
                        InvalidCheckpointException.class, "sequenceNumber must be a decimal number"),
                row("malformed: null sequence number", r -> () -> checkpointer.checkpoint(null, 0),
                        InvalidCheckpointException.class, "sequenceNumber must not be null"),
                row("negative sub-sequence number", r -> () -> checkpointer.checkpoint(r.get(15).sequenceNumber(), -1),
                        InvalidCheckpointException.class, "subSequenceNumber must be >= 0, was -1"),
                row("sentinel SHARD_END", r -> () -> checkpointer.checkpoint("SHARD_END", 0),
                        InvalidCheckpointException.class, "must be a record's sequence number, was the sentinel"
                                + " SHARD_END"),
                row("sentinel TRIM_HORIZON", r -> () -> checkpointer.checkpoint("TRIM_HORIZON", 0),
                        InvalidCheckpointException.class, "was the sentinel TRIM_HORIZON"),
                row("sentinel LATEST", r -> () -> checkpointer.checkpoint("LATEST", 0),
                        InvalidCheckpointException.class, "was the sentinel LATEST"),
                row("sentinel AT_TIMESTAMP", r -> () -> checkpointer.checkpoint("AT_TIMESTAMP", 0),
                        InvalidCheckpointException.class, "was the sentinel AT_TIMESTAMP"),
                row("null record", r -> () -> checkpointer.checkpoint((KinesisUserRecord) null),
                        InvalidCheckpointException.class, "record must not be null"));
    }

    @Order(1)
    @ParameterizedTest(name = "Checkpointer: {0}")
    @MethodSource("rows")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void refused(String name, Function<List<KinesisUserRecord>, Runnable> call, Class<? extends Throwable> type,
            String fragment) throws Exception {
        Throwable t = onProcessor(call.apply(delivered)).handle((v, e) -> e).get(30, TimeUnit.SECONDS);
        assertInstanceOf(type, t, name);
        assertTrue(t.getMessage() != null && t.getMessage().contains(fragment),
                "message of " + name + ": " + t.getMessage());
        assertEquals(established, checkpointer.lastCheckpoint(), "checkpoint moved by " + name);
        assertEquals(established, tableCheckpoint(), "lease table checkpoint moved by " + name);
        System.out.printf("BAD INPUT Checkpointer | %s | %s | %s%n", name, t.getClass().getSimpleName(),
                t.getMessage());
    }

    /**
     * A sequence number with a leading zero is numerically a delivered position, but not a valid Kinesis sequence
     * number (pattern {@code 0|([1-9]\d{0,128})}): the checkpoint refuses it rather than store it, because every
     * later owner's GetShardIterator would fail on it.
     */
    @Order(2)
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nonCanonicalSequenceNumber() throws Exception {
        KinesisUserRecord r = delivered.get(15);
        String zeroPadded = "0" + r.sequenceNumber();
        Throwable t = onProcessor(() -> checkpointer.checkpoint(zeroPadded, r.subSequenceNumber()))
                .handle((v, e) -> e).get(30, TimeUnit.SECONDS);
        assertInstanceOf(InvalidCheckpointException.class, t);
        assertTrue(t.getMessage().contains("without leading zeros"), t.getMessage());
        assertEquals(established, tableCheckpoint());
        System.out.printf("BAD INPUT Checkpointer | sequence number with a leading zero | %s | %s%n",
                t.getClass().getSimpleName(), t.getMessage());
    }

    /** After all the refused calls, the checkpointer still works: the last delivered record is checkpointed. */
    @Order(3)
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void validCheckpointAfterTheBadOnes() throws Exception {
        onProcessor(() -> checkpointer.checkpoint()).get(30, TimeUnit.SECONDS);
        established = last(delivered).extendedSequenceNumber();
        assertEquals(established, checkpointer.lastCheckpoint());
        assertEquals(established, tableCheckpoint());
        System.out.printf("BAD INPUT Checkpointer | valid checkpoint() after the refused calls | ok | %s%n",
                established);
    }

    /** Another worker takes the lease: every checkpoint call throws LeaseLostException and the table is untouched. */
    @Order(4)
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void afterLeaseLoss() throws Exception {
        Map<String, AttributeValue> key = Map.of("leaseKey", AttributeValue.fromS(shardId));
        dynamo.updateItem(b -> b.tableName(app).key(key)
                .updateExpression("SET leaseOwner = :thief ADD leaseCounter :one")
                .expressionAttributeValues(Map.of(":thief", AttributeValue.fromS("thief-worker"),
                        ":one", AttributeValue.fromN("1")))).join();
        // and tells it, as every assigner does: a new assignVersion in its worker row, which its heartbeat reads
        dynamo.updateItem(b -> b.tableName(app + ConsumerConfig.WORKER_TABLE_SUFFIX)
                .key(Map.of("fleet", AttributeValue.fromS(app),
                        "workerId", AttributeValue.fromS("checkpoint-worker")))
                .updateExpression("ADD assignVersion :one")
                .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1")))).join();
        await("the worker noticed it lost the lease", Duration.ofSeconds(60), () -> worker.heldLeases().isEmpty());
        KinesisUserRecord last = last(delivered);
        for (Map.Entry<String, Runnable> call : Map.<String, Runnable>of(
                "checkpoint()", () -> checkpointer.checkpoint(),
                "checkpoint(last delivered record)", () -> checkpointer.checkpoint(last),
                "checkpoint(an earlier record)", () -> checkpointer.checkpoint(delivered.get(3))).entrySet()) {
            Throwable t = onProcessor(call.getValue()).handle((v, e) -> e).get(30, TimeUnit.SECONDS);
            assertInstanceOf(LeaseLostException.class, t, call.getKey());
            assertTrue(t.getMessage().contains("worker checkpoint-worker no longer holds the lease of shard "
                    + shardId),
                    t.getMessage());
            assertEquals(established, tableCheckpoint(), call.getKey());
            System.out.printf("BAD INPUT Checkpointer | after lease loss: %s | LeaseLostException | %s%n",
                    call.getKey(), t.getMessage());
        }
        Map<String, AttributeValue> row = dynamo.getItem(b -> b.tableName(app).key(key).consistentRead(true)).join()
                .item();
        assertEquals("thief-worker", row.get("leaseOwner").s());
    }

    private static Arguments row(String name, Function<List<KinesisUserRecord>, Runnable> call,
            Class<? extends Throwable> type, String fragment) {
        return Arguments.of(name, call, type, fragment);
    }

    private static KinesisUserRecord last(List<KinesisUserRecord> records) {
        return records.get(records.size() - 1);
    }

    private static String next(String sequenceNumber) {
        return new BigInteger(sequenceNumber).add(BigInteger.ONE).toString();
    }

    private static String rawTableCheckpoint() {
        return dynamo.getItem(b -> b.tableName(app).consistentRead(true)
                .key(Map.of("leaseKey", AttributeValue.fromS(shardId)))).join().item().get("checkpoint").s();
    }

    private static ExtendedSequenceNumber tableCheckpoint() {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(app).consistentRead(true)
                .key(Map.of("leaseKey", AttributeValue.fromS(shardId)))).join().item();
        AttributeValue sub = item.get("checkpointSubSequenceNumber");
        return ExtendedSequenceNumber.of(item.get("checkpoint").s(), sub == null ? 0 : Long.parseLong(sub.n()));
    }

    /** Runs {@code call} on the processor's thread, inside its processRecords, as user code would. */
    private static CompletableFuture<Void> onProcessor(Runnable call) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                call.run();
                result.complete(null);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** Takes the records; once all arrived, stays in processRecords running the test's calls until released. */
    static final class HoldingProcessor implements RecordProcessor {
        @Override
        public void initialize(InitializationInput input) {
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            delivered.addAll(input.records());
            checkpointer = input.checkpointer();
            if (delivered.size() < RECORDS) {
                return;
            }
            holding.countDown();
            try {
                for (Runnable task = tasks.take(); task != RELEASE; task = tasks.take()) {
                    task.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void leaseLost() {
        }

        @Override
        public void shardEnded(Checkpointer c) {
            c.checkpoint();
        }

        @Override
        public void shutdownRequested(Checkpointer c) {
        }
    }
}
