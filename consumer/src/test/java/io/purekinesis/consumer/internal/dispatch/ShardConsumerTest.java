package io.purekinesis.consumer.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerConfig.ProcessorFailurePolicy;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.checkpoint.ShardCheckpointer;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer.Outcome;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.FakeWorkers;
import io.purekinesis.consumer.internal.lease.LeaseCoordinator;
import io.purekinesis.consumer.internal.lease.WorkerRow;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.HashKeyRange;
import software.amazon.awssdk.services.kinesis.model.Record;

class ShardConsumerTest {

    private static final String SHARD = "shardId-000000000000";
    /** How long a test waits for something that takes milliseconds: generous, for a loaded machine. */
    private static final long PATIENCE_SECONDS = 30;

    private final List<String> endedShards = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Runs the fetchers: they read from the mocked client as fast as their (1 ms) limits allow. */
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    /**
     * The consumers' time: backoffs between processor attempts and checkpoint retries pass at once in virtual time
     * (nothing is scheduled on it).
     */
    private final ManualScheduler time = new ManualScheduler();
    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final LeaseTable table = new LeaseTable(dynamo, "app");
    private final List<String> childLeasesCreated = new CopyOnWriteArrayList<>();
    private final List<Outcome> finished = new CopyOnWriteArrayList<>();
    /** Flipped instead of re-stubbing the mock while other threads call it (Mockito stubbing is not thread-safe). */
    private volatile boolean dynamoRefuses;

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** Each GetRecords returns two plain records; after {@code endAfter} calls the shard ends. */
    private void kinesisServes(int endAfter) {
        when(kinesis.getShardIterator(any(GetShardIteratorRequest.class))).thenReturn(CompletableFuture
                .completedFuture(GetShardIteratorResponse.builder().shardIterator("it-0").build()));
        when(kinesis.getRecords(any(GetRecordsRequest.class))).thenAnswer(inv -> {
            GetRecordsRequest r = inv.getArgument(0);
            int n = Integer.parseInt(r.shardIterator().substring(3));
            List<Record> records = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                long seq = 1000L + n * 2L + i;
                records.add(Record.builder().sequenceNumber(Long.toString(seq)).partitionKey("pk")
                        .approximateArrivalTimestamp(Instant.EPOCH).data(SdkBytes.fromUtf8String("d" + seq)).build());
            }
            GetRecordsResponse.Builder resp = GetRecordsResponse.builder().records(records).millisBehindLatest(5L);
            if (n + 1 >= endAfter) {
                resp.childShards(ChildShard.builder().shardId("shardId-000000000009").parentShards(SHARD)
                        .hashKeyRange(HashKeyRange.builder().startingHashKey("0").endingHashKey("9").build()).build());
            } else {
                resp.nextShardIterator("it-" + (n + 1));
            }
            return CompletableFuture.completedFuture(resp.build());
        });
    }

    private void dynamoAcceptsCheckpoints() {
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            if (dynamoRefuses) {
                return CompletableFuture.failedFuture(ConditionalCheckFailedException.builder().message("stolen")
                        .build());
            }
            UpdateItemRequest r = inv.getArgument(0);
            Map<String, AttributeValue> row = new HashMap<>();
            row.put("leaseKey", AttributeValue.builder().s(SHARD).build());
            row.put("leaseOwner", AttributeValue.builder().s("A").build());
            row.put("leaseCounter", AttributeValue.builder().n("1").build());
            AttributeValue cp = r.expressionAttributeValues().get(":cp");
            row.put("checkpoint", cp != null ? cp : AttributeValue.builder().s("TRIM_HORIZON").build());
            return CompletableFuture.completedFuture(UpdateItemResponse.builder().attributes(row).build());
        });
    }

    /** Records what the consumer calls; tests wait for what it recorded with {@link #await}. */
    static class Recording implements RecordProcessor {
        final List<KinesisUserRecord> records = new CopyOnWriteArrayList<>();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final AtomicInteger failuresLeft = new AtomicInteger();
        volatile boolean checkpointEachBatch;
        volatile boolean checkpointAtEnd = true;
        volatile RuntimeException checkpointError;
        private final Object progress = new Object();

        /** Something was recorded: wakes {@link #await}. */
        void progressed() {
            synchronized (progress) {
                progress.notifyAll();
            }
        }

        /** Waits until {@code condition} holds, checking it whenever the processor recorded a call. */
        void await(BooleanSupplier condition) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
            synchronized (progress) {
                while (!condition.getAsBoolean()) {
                    long left = deadline - System.nanoTime();
                    assertTrue(left > 0, "condition not met within " + PATIENCE_SECONDS + " s; calls " + calls);
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                }
            }
        }

        private void call(String call) {
            calls.add(call);
            progressed();
        }

        @Override
        public void initialize(InitializationInput input) {
            call("initialize " + input.startingPosition());
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            if (failuresLeft.getAndUpdate(x -> x > 0 ? x - 1 : x) != 0) {
                call("fail");
                throw new IllegalStateException("poison");
            }
            records.addAll(input.records());
            call("process " + input.records().size());
            if (checkpointEachBatch) {
                try {
                    input.checkpointer().checkpoint();
                } catch (RuntimeException e) {
                    checkpointError = e;
                    throw e;
                }
            }
        }

        @Override
        public void leaseLost() {
            call("leaseLost");
        }

        @Override
        public void shardEnded(Checkpointer checkpointer) {
            call("shardEnded");
            if (checkpointAtEnd) {
                checkpointer.checkpoint();
            }
        }

        @Override
        public void shutdownRequested(Checkpointer checkpointer) {
            call("shutdownRequested");
            checkpointer.checkpoint();
        }
    }

    /** Worker A's context: a 3 s failover time, renewals and scans every second, the manual time. */
    private ConsumerContext context() {
        ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("stream").workerId("A")
                .failoverTime(Duration.ofSeconds(3)).heartbeatInterval(Duration.ofSeconds(1))
                .monitorInterval(Duration.ofSeconds(1)).build();
        return new ConsumerContext(config, time, new Random(1), scheduler, scheduler, scheduler);
    }

    private ShardConsumer consumer(Recording processor, ProcessorFailurePolicy policy, int maxAttempts,
            List<List<KinesisUserRecord>> deadLetters, List<String> failedShards) {
        ShardFetcher fetcher = ShardFetcher.builder().kinesis(kinesis).streamName("stream").shard(SHARD, null)
                .checkpoint(ExtendedSequenceNumber.TRIM_HORIZON).initialPosition(InitialPosition.trimHorizon())
                .maxRecords(100).minTimeBetweenReads(Duration.ofMillis(1)).idleTimeBetweenReads(Duration.ofMillis(10))
                .maxPrefetchBatches(2).scheduler(scheduler).time(time).metrics(ConsumerMetrics.NOOP)
                .backoff(Backoff.of(Duration.ofMillis(1), Duration.ofMillis(5), new Random(1))).build();
        ShardCheckpointer checkpointer = new ShardCheckpointer(SHARD, "A", table, ExtendedSequenceNumber.TRIM_HORIZON,
                ConsumerMetrics.NOOP, time, new Random(1));
        ShardConsumer.FailurePolicy failurePolicy = new ShardConsumer.FailurePolicy(policy, maxAttempts,
                Backoff.of(Duration.ofMillis(1), Duration.ofMillis(5), new Random(1)),
                (shard, records, cause) -> deadLetters.add(records));
        ConsumerMetrics metrics = new ConsumerMetrics() {
            @Override
            public void shardFailed(String shardId, Throwable cause) {
                failedShards.add(shardId);
            }

            @Override
            public void shardEnded(String shardId) {
                endedShards.add(shardId);
            }
        };
        return new ShardConsumer(SHARD, () -> processor, fetcher, checkpointer, failurePolicy, metrics, time,
                new ShardConsumer.Callbacks() {
                    @Override
                    public void shardEnded(String shardId, List<ChildShard> children) {
                        children.forEach(c -> childLeasesCreated.add(c.shardId()));
                    }

                    @Override
                    public void finished(ShardConsumer consumer, Outcome outcome) {
                        finished.add(outcome);
                    }
                });
    }

    private ShardConsumer consumer(Recording processor) {
        return consumer(processor, ProcessorFailurePolicy.STOP_SHARD, 3, new ArrayList<>(), new ArrayList<>());
    }

    private static void assertContiguous(List<KinesisUserRecord> records) {
        for (int i = 0; i < records.size(); i++) {
            assertEquals(Long.toString(1000 + i), records.get(i).sequenceNumber(), "record " + i);
        }
    }

    @Test
    void evictionStopsDeliveryAtOnceAndCallsLeaseLost() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        dynamoAcceptsCheckpoints();
        Recording processor = new Recording();
        processor.checkpointEachBatch = true;
        ShardConsumer consumer = consumer(processor);
        // the real coordinator holds the lease; its heartbeat's answer says a peer declared it dead -> it drops every
        // lease -> listener -> consumer.leaseLost()
        Lease held = new Lease(SHARD, "A", 1, ExtendedSequenceNumber.TRIM_HORIZON, 0, java.util.Set.of(),
                java.util.Set.of(), null, null, null);
        FakeWorkers workers = new FakeWorkers();
        LeaseCoordinator coordinator = new LeaseCoordinator(table, workers, null, context(),
                new LeaseCoordinator.Listener() {
                    @Override
                    public void leaseAcquired(Lease lease) {
                    }

                    @Override
                    public void leaseLost(String leaseKey) {
                        consumer.leaseLost();
                    }

                    @Override
                    public void handoffRequested(String leaseKey) {
                    }
                });
        TestAccess.hold(coordinator, held);
        Thread t = new Thread(consumer);
        t.start();
        processor.await(() -> processor.records.size() >= 6);

        dynamoRefuses = true;
        workers.put(new WorkerRow("A", 0, 1, 1, 0, false, 5L));
        TestAccess.heartbeat(coordinator);

        assertEquals(Outcome.LEASE_LOST, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        int delivered = processor.records.size();
        // the processor is only called on the consumer's thread: once that thread has ended, nothing more can come
        t.join(TimeUnit.SECONDS.toMillis(PATIENCE_SECONDS));
        assertFalse(t.isAlive(), "the consumer's thread still runs after done()");
        assertEquals(delivered, processor.records.size(), "no delivery after the loss");
        assertEquals("leaseLost", processor.calls.get(processor.calls.size() - 1));
        assertEquals(1, processor.calls.stream().filter("leaseLost"::equals).count());
        assertContiguous(processor.records);
        assertEquals(List.of(Outcome.LEASE_LOST), finished);
    }

    @Test
    void checkpointAfterLeaseLostThrows() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        dynamoAcceptsCheckpoints();
        Recording processor = new Recording();
        processor.checkpointEachBatch = true;
        ShardConsumer consumer = consumer(processor);
        Thread t = new Thread(consumer);
        t.start();
        processor.await(() -> processor.records.size() >= 2);
        dynamoRefuses = true;
        consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertTrue(processor.checkpointError instanceof LeaseLostException, String.valueOf(processor.checkpointError));
        assertEquals(Outcome.LEASE_LOST, consumer.done().get());
    }

    @Test
    void failingBatchIsRetriedThenDeliveryGoesOnInOrder() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        Recording processor = new Recording();
        processor.failuresLeft.set(2);
        ShardConsumer consumer = consumer(processor);
        new Thread(consumer).start();
        processor.await(() -> processor.records.size() >= 6);
        consumer.leaseLost();
        consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertEquals(List.of("initialize TRIM_HORIZON", "fail", "fail", "process 2"), processor.calls.subList(0, 4));
        assertContiguous(processor.records);
    }

    @Test
    void stopShardPolicyStopsWithoutSkipping() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        Recording processor = new Recording();
        processor.failuresLeft.set(Integer.MAX_VALUE);
        List<String> failed = new CopyOnWriteArrayList<>();
        ShardConsumer consumer = consumer(processor, ProcessorFailurePolicy.STOP_SHARD, 3, new ArrayList<>(), failed);
        new Thread(consumer).start();
        assertEquals(Outcome.FAILED, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals(3, processor.calls.stream().filter("fail"::equals).count());
        assertTrue(processor.records.isEmpty());
        assertEquals(List.of(SHARD), failed);
    }

    @Test
    void deadLetterPolicyHandsTheBatchOverAndGoesOn() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        Recording processor = new Recording();
        processor.failuresLeft.set(2);
        List<List<KinesisUserRecord>> deadLetters = new CopyOnWriteArrayList<>();
        ShardConsumer consumer = consumer(processor, ProcessorFailurePolicy.DEAD_LETTER, 2, deadLetters,
                new ArrayList<>());
        new Thread(consumer).start();
        processor.await(() -> processor.records.size() >= 4);
        consumer.leaseLost();
        consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        assertEquals(1, deadLetters.size());
        assertEquals("1000", deadLetters.get(0).get(0).sequenceNumber());
        assertEquals("1002", processor.records.get(0).sequenceNumber());
    }

    @Test
    void gracefulShutdownLetsTheProcessorCheckpoint() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        dynamoAcceptsCheckpoints();
        Recording processor = new Recording();
        ShardConsumer consumer = consumer(processor);
        new Thread(consumer).start();
        processor.await(() -> processor.records.size() >= 4);
        consumer.requestShutdown(Outcome.SHUTDOWN);
        assertEquals(Outcome.SHUTDOWN, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals("shutdownRequested", processor.calls.get(processor.calls.size() - 1));
    }

    @Test
    void shardEndCreatesChildrenAndNeedsTheShardEndCheckpoint() throws Exception {
        kinesisServes(3);
        dynamoAcceptsCheckpoints();
        Recording processor = new Recording();
        ShardConsumer consumer = consumer(processor);
        new Thread(consumer).start();
        assertEquals(Outcome.SHARD_END, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals(6, processor.records.size());
        assertEquals("shardEnded", processor.calls.get(processor.calls.size() - 1));
        assertEquals(List.of("shardId-000000000009"), childLeasesCreated);
        assertEquals(List.of(SHARD), endedShards, "reported once the SHARD_END checkpoint is written");
    }

    @Test
    void shardEndWithoutCheckpointFailsTheShard() throws Exception {
        kinesisServes(1);
        dynamoAcceptsCheckpoints();
        Recording processor = new Recording();
        processor.checkpointAtEnd = false;
        ShardConsumer consumer = consumer(processor);
        new Thread(consumer).start();
        assertEquals(Outcome.FAILED, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void haltEndsWithoutCallbacksOrCheckpoints() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        Recording processor = new Recording();
        ShardConsumer consumer = consumer(processor);
        new Thread(consumer).start();
        processor.await(() -> processor.records.size() >= 2);
        consumer.halt();
        assertEquals(Outcome.HALTED, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertTrue(processor.calls.stream().noneMatch(c -> c.equals("leaseLost") || c.equals("shutdownRequested")));
    }

    @Test
    void shutdownWhileRetryingDoesNotLetTheCheckpointPassTheFailedBatch() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        dynamoAcceptsCheckpoints();
        Recording processor = new Recording();
        processor.checkpointEachBatch = true;
        ShardConsumer consumer = consumer(processor, ProcessorFailurePolicy.STOP_SHARD, 1000, new ArrayList<>(),
                new ArrayList<>());
        new Thread(consumer).start();
        processor.await(() -> processor.records.size() >= 4);
        processor.failuresLeft.set(Integer.MAX_VALUE);
        processor.await(() -> processor.calls.contains("fail"));
        int processed = processor.records.size();
        consumer.requestShutdown(Outcome.SHUTDOWN);
        assertEquals(Outcome.SHUTDOWN, consumer.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        KinesisUserRecord lastProcessed = processor.records.get(processed - 1);
        assertEquals(lastProcessed.extendedSequenceNumber(), TestAccessCheckpoint.lastCheckpoint(consumer));
    }

    @Test
    void aBatchPolledWhileTheLeaseWasLostIsNotDelivered() throws Exception {
        // the loss arrives while the processor thread waits in poll(), and the batch arrives in the same wait
        ShardFetcher fetcher = mock(ShardFetcher.class);
        ShardConsumer[] self = new ShardConsumer[1];
        KinesisUserRecord r = new KinesisUserRecord("pk", null, new byte[] {1}, Instant.EPOCH, "1000", 0, false);
        when(fetcher.poll(any(Duration.class))).thenAnswer(inv -> {
            self[0].leaseLost();
            return new io.purekinesis.consumer.internal.fetch.RecordBatch(List.of(r), 0, 1, false, List.of(), 1);
        });
        Recording processor = new Recording();
        ShardCheckpointer checkpointer = new ShardCheckpointer(SHARD, "A", table, ExtendedSequenceNumber.TRIM_HORIZON,
                ConsumerMetrics.NOOP, time, new Random(1));
        self[0] = new ShardConsumer(SHARD, () -> processor, fetcher, checkpointer,
                new ShardConsumer.FailurePolicy(ProcessorFailurePolicy.STOP_SHARD, 3,
                        Backoff.of(Duration.ofMillis(1), Duration.ofMillis(5), new Random(1)), null),
                ConsumerMetrics.NOOP, time, new ShardConsumer.Callbacks() {
                    @Override
                    public void shardEnded(String shardId, List<ChildShard> children) {
                    }

                    @Override
                    public void finished(ShardConsumer consumer, Outcome outcome) {
                    }
                });
        new Thread(self[0]).start();
        assertEquals(Outcome.LEASE_LOST, self[0].done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of("initialize TRIM_HORIZON", "leaseLost"), processor.calls);
    }

    @Test
    void anInitializeThatKeepsThrowingFailsTheShardLoudlyAndDeliversNothing() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        List<String> failedShards = new CopyOnWriteArrayList<>();
        Recording processor = new Recording() {
            @Override
            public void initialize(InitializationInput input) {
                calls.add("initialize");
                throw new IllegalStateException("no database");
            }
        };
        ShardConsumer c = consumer(processor, ProcessorFailurePolicy.STOP_SHARD, 3, new ArrayList<>(), failedShards);
        Thread t = new Thread(c);
        t.start();
        assertEquals(Outcome.FAILED, c.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of("initialize", "initialize", "initialize"), processor.calls, "3 attempts, nothing else");
        assertEquals(List.of(SHARD), failedShards);
        assertEquals(List.of(Outcome.FAILED), finished);
    }

    @Test
    void aProcessorBlockedInProcessRecordsIsReportedAsItsTimeDoubles() throws Exception {
        kinesisServes(Integer.MAX_VALUE);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recording processor = new Recording() {
            @Override
            public void processRecords(ProcessRecordsInput input) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        List<String> reports = new CopyOnWriteArrayList<>();
        SlowCallWatch watch = new SlowCallWatch("A", Duration.ofMinutes(1), new ConsumerMetrics() {
            @Override
            public void slowProcessorCall(String shardId, String call, Duration runningFor) {
                reports.add(shardId + " " + call + " " + runningFor.toSeconds());
            }
        });
        ShardConsumer c = consumer(processor);
        Thread t = new Thread(c);
        t.start();
        try {
            assertTrue(entered.await(PATIENCE_SECONDS, TimeUnit.SECONDS), "processRecords was not called");
            assertTrue(c.runningCall() != null && c.runningCall().call().equals("processRecords"));
            long start = c.runningCall().startedNanos();
            long second = 1_000_000_000L;
            watch.check(List.of(c), start + 59 * second);
            assertEquals(List.of(), reports);
            watch.check(List.of(c), start + 60 * second);
            watch.check(List.of(c), start + 90 * second);
            assertEquals(List.of(SHARD + " processRecords 60"), reports);
            watch.check(List.of(c), start + 121 * second);
            watch.check(List.of(c), start + 200 * second);
            assertEquals(List.of(SHARD + " processRecords 60", SHARD + " processRecords 121"), reports);
        } finally {
            release.countDown();
            c.requestShutdown(Outcome.SHUTDOWN);
            c.done().get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        }
        assertEquals(null, c.runningCall());
    }
}
