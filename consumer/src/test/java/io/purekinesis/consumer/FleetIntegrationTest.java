package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.FAILOVER;
import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.lease.WorkerTable;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The fleet protocol with real workers on the local endpoints: the leader dies, a worker dies in the middle of a
 * handoff, a live worker is declared dead, workers join and leave. Nothing is lost in any of them.
 */
@ExtendWith(LocalEndpointsExtension.class)
class FleetIntegrationTest {

    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();
    private final List<KinesisConsumer> workers = new ArrayList<>();

    @AfterEach
    void stop(KinesisAsyncClient kinesis) throws Exception {
        for (KinesisConsumer w : workers) {
            w.shutdown().get(60, TimeUnit.SECONDS);
        }
        streams.deleteAll(kinesis);
    }

    private KinesisConsumer worker(ConsumerConfig.Builder config, RecordProcessorFactory factory) {
        KinesisConsumer w = new KinesisConsumer(config.build(), factory);
        workers.add(w);
        return w;
    }

    private static int active(List<KinesisConsumer> ws) {
        return ws.stream().mapToInt(w -> w.activeShards().size()).sum();
    }

    /** Counts, per lease, the handoffs that moved it (balancing). */
    private static ConsumerMetrics countingMoves(Map<String, AtomicInteger> moves, List<String> lost) {
        return new ConsumerMetrics() {
            @Override
            public void leaseStolen(String shardId, String fromWorker) {
                moves.computeIfAbsent(shardId, k -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            public void leaseLost(String shardId) {
                lost.add(shardId);
            }
        };
    }

    @Test
    void killingTheLeaderLosesNothingAndItsLeasesAndDutiesAreTakenOver(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 6;
        String stream = streams.create(kinesis, "leader", shards);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 60);
        String app = Streams.uniqueStreamName("app-leader");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        recorder.processingDelayMillis = 20;
        KinesisConsumer w1 = worker(config(endpoints, kinesis, dynamo, app, stream, "w1").maxRecords(10),
                recorder.factory("w1"));
        KinesisConsumer w2 = worker(config(endpoints, kinesis, dynamo, app, stream, "w2").maxRecords(10),
                recorder.factory("w2"));
        KinesisConsumer w3 = worker(config(endpoints, kinesis, dynamo, app, stream, "w3").maxRecords(10),
                recorder.factory("w3"));
        w1.start();
        w2.start();
        w3.start();
        await("three workers share the shards, w1 leads", Duration.ofSeconds(60), () -> w1.activeShards().size() == 2
                && w2.activeShards().size() == 2 && w3.activeShards().size() == 2 && w1.leadsFleet()
                && recorder.distinct() >= 60);
        assertFalse(w2.leadsFleet() || w3.leadsFleet(), "one leader");
        w1.halt(); // kill -9 of the leader
        long killed = System.nanoTime();
        await("w2 and w3 took w1's shards", Duration.ofSeconds(60), () -> active(List.of(w2, w3)) == shards);
        long takeoverMillis = (System.nanoTime() - killed) / 1_000_000;
        await("w2 leads now", Duration.ofSeconds(30), w2::leadsFleet);
        recorder.processingDelayMillis = 0;
        await("every record", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
        expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                Duration.ofSeconds(60)).data());
        System.out.printf("leader killed: its shards taken over after %d ms (failover %d ms); leases %s%n",
                takeoverMillis, FAILOVER.toMillis(), List.of(w2.activeShards().size(), w3.activeShards().size()));
        assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
        // failover time, then up to two monitor slots of the survivors (w1's slot goes unpolled), with slack for a
        // loaded machine
        long allowed = FAILOVER.toMillis() + 2_000 + 8_000;
        assertTrue(takeoverMillis <= allowed, "takeover took " + takeoverMillis + " ms, allowed " + allowed);
        assertTrue(Math.abs(w2.activeShards().size() - w3.activeShards().size()) <= 1, "balanced");
    }

    @Test
    void aWorkerDyingWhileHandingLeasesOffLosesNothing(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 4;
        String stream = streams.create(kinesis, "handoff-death", shards);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 50);
        String app = Streams.uniqueStreamName("app-hd");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        CountDownLatch handoffStarted = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        // w1's processors hang in shutdownRequested: the handoffs to w2 stay pending until w1 dies
        RecordProcessorFactory hanging = () -> {
            RecordProcessor inner = recorder.factory("w1").create();
            return new RecordProcessor() {
                @Override
                public void initialize(InitializationInput input) {
                    inner.initialize(input);
                }

                @Override
                public void processRecords(ProcessRecordsInput input) {
                    inner.processRecords(input);
                }

                @Override
                public void leaseLost() {
                    inner.leaseLost();
                }

                @Override
                public void shardEnded(Checkpointer checkpointer) {
                    inner.shardEnded(checkpointer);
                }

                @Override
                public void shutdownRequested(Checkpointer checkpointer) {
                    handoffStarted.countDown();
                    try {
                        unblock.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    inner.shutdownRequested(checkpointer);
                }
            };
        };
        // a handoff timeout far beyond the test: w2 may only end the handoffs because w1 is dead
        KinesisConsumer w1 = worker(config(endpoints, kinesis, dynamo, app, stream, "w1")
                .gracefulHandoffTimeout(Duration.ofMinutes(10)), hanging);
        KinesisConsumer w2 = worker(config(endpoints, kinesis, dynamo, app, stream, "w2")
                .gracefulHandoffTimeout(Duration.ofMinutes(10)), recorder.factory("w2"));
        w1.start();
        await("w1 processes every shard", Duration.ofSeconds(60), () -> w1.activeShards().size() == shards
                && recorder.distinct() >= 40);
        w2.start();
        assertTrue(handoffStarted.await(60, TimeUnit.SECONDS), "w2 took leases from w1 by handoff");
        await("w2 holds its share, waiting for the handoffs", Duration.ofSeconds(30),
                () -> w2.heldLeases().size() == shards / 2);
        assertTrue(w2.activeShards().isEmpty(), "w2 waits while w1 may still checkpoint");
        w1.halt(); // dies in the middle of the handoffs
        unblock.countDown(); // its hung processors wake up; they can no longer checkpoint
        await("w2 has every shard", Duration.ofSeconds(60), () -> w2.activeShards().size() == shards);
        await("every record", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
        expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                Duration.ofSeconds(60)).data());
        assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
    }

    /** Fails the heartbeats (UpdateItem on the worker table) of one worker's client while switched on. */
    static final class BlockHeartbeats implements ExecutionInterceptor {
        final AtomicBoolean on = new AtomicBoolean();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (on.get() && context.request() instanceof UpdateItemRequest r
                    && r.tableName().endsWith(ConsumerConfig.WORKER_TABLE_SUFFIX)) {
                throw SdkClientException.create("heartbeat blocked by the test");
            }
        }
    }

    @Test
    void aLiveWorkerDeclaredDeadDropsItsLeasesAndRejoinsLosingNothing(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 4;
        String stream = streams.create(kinesis, "partition", shards);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 50);
        String app = Streams.uniqueStreamName("app-part");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        recorder.processingDelayMillis = 20;
        BlockHeartbeats block = new BlockHeartbeats();
        List<String> w1Lost = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (DynamoDbAsyncClient w1Dynamo = endpoints.dynamoDbClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(block)).build()) {
            KinesisConsumer w1 = worker(config(endpoints, kinesis, w1Dynamo, app, stream, "w1").maxRecords(10)
                    .metrics(countingMoves(new ConcurrentHashMap<>(), w1Lost)), recorder.factory("w1"));
            KinesisConsumer w2 = worker(config(endpoints, kinesis, dynamo, app, stream, "w2").maxRecords(10),
                    recorder.factory("w2"));
            w1.start();
            w2.start();
            await("balanced", Duration.ofSeconds(60), () -> w1.activeShards().size() == 2
                    && w2.activeShards().size() == 2);
            block.on.set(true); // w1 still runs and reads, but its heartbeats do not arrive
            await("w1 stopped, w2 has every shard", Duration.ofSeconds(60), () -> w1.activeShards().isEmpty()
                    && w2.activeShards().size() == shards);
            assertEquals(2, w1Lost.size(), "w1 dropped its leases itself: " + w1Lost);
            block.on.set(false);
            await("w1 rejoined and got its share back", Duration.ofSeconds(60),
                    () -> w1.activeShards().size() == 2 && w2.activeShards().size() == 2);
            recorder.processingDelayMillis = 0;
            await("every record", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
            expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                    Duration.ofSeconds(60)).data());
            assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
            w1.shutdown().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void balanceConvergesAfterAJoinAndALeaveAndNoLeaseMovesTwice(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 6;
        String stream = streams.create(kinesis, "converge", shards);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 30);
        String app = Streams.uniqueStreamName("app-conv");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        Map<String, AtomicInteger> moves = new ConcurrentHashMap<>();
        List<String> lost = new java.util.concurrent.CopyOnWriteArrayList<>();
        KinesisConsumer w1 = worker(config(endpoints, kinesis, dynamo, app, stream, "w1")
                .metrics(countingMoves(moves, lost)), recorder.factory("w1"));
        KinesisConsumer w2 = worker(config(endpoints, kinesis, dynamo, app, stream, "w2")
                .metrics(countingMoves(moves, lost)), recorder.factory("w2"));
        KinesisConsumer w3 = worker(config(endpoints, kinesis, dynamo, app, stream, "w3")
                .metrics(countingMoves(moves, lost)), recorder.factory("w3"));
        w1.start();
        w2.start();
        await("two workers, three shards each", Duration.ofSeconds(60), () -> w1.activeShards().size() == 3
                && w2.activeShards().size() == 3);
        moves.clear(); // from here: one join, then one leave
        w3.start();
        await("three workers, two shards each", Duration.ofSeconds(60), () -> w1.activeShards().size() == 2
                && w2.activeShards().size() == 2 && w3.activeShards().size() == 2);
        int joinMoves = moves.values().stream().mapToInt(AtomicInteger::get).sum();
        assertEquals(2, joinMoves, "the joiner took exactly its share: " + moves);
        w2.shutdown().get(60, TimeUnit.SECONDS); // leaves: hands its leases to the least loaded
        await("two workers, three shards each again", Duration.ofSeconds(60), () -> w1.activeShards().size() == 3
                && w3.activeShards().size() == 3);
        await("every record", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
        expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                Duration.ofSeconds(60)).data());
        assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
        assertTrue(moves.values().stream().allMatch(n -> n.get() == 1), "a lease moved twice by the join and the "
                + "leave: " + moves);
        assertEquals(List.of(), lost, "no lease was lost on the way");
        assertEquals(List.of(), recorder.duplicates(), "joins and leaves are graceful: no record twice");
    }

    /**
     * Hides lease rows from one worker's consistent reads (GetItem answers "no such item") while switched on, except
     * the keys in {@code visible}: that worker cannot adopt the hidden leases, as when its first lookup of many
     * leases has not reached them yet.
     */
    static final class HideLeases implements ExecutionInterceptor {
        final AtomicBoolean on = new AtomicBoolean(true);
        final Set<String> visible = ConcurrentHashMap.newKeySet();

        @Override
        public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
            if (on.get() && context.request() instanceof GetItemRequest r
                    && !r.tableName().endsWith(ConsumerConfig.WORKER_TABLE_SUFFIX)
                    && !visible.contains(r.key().get("leaseKey").s())) {
                return GetItemResponse.builder().build();
            }
            return context.response();
        }
    }

    /**
     * Issue 17: a lease pulled by graceful handoff from a worker that has not looked it up yet is not in that
     * worker's lookups any more (the owner index names the puller); its heartbeat's answer lists it, and the worker
     * lets it go at once instead of leaving the puller to wait out its handoff timeout (ten minutes here).
     */
    @Test
    void aLeasePulledBeforeItsOwnerLookedItUpIsLetGoAtOnce(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 20;
        String stream = streams.create(kinesis, "pulled", shards);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 40);
        String app = Streams.uniqueStreamName("app-pulled");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        Map<String, AtomicInteger> moves = new ConcurrentHashMap<>();
        List<String> lost = new java.util.concurrent.CopyOnWriteArrayList<>();
        HideLeases hide = new HideLeases();
        for (int i = 0; i < 6; i++) {
            hide.visible.add(String.format("shardId-%012d", i));
        }
        try (DynamoDbAsyncClient w1Dynamo = endpoints.dynamoDbClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(hide)).build()) {
            KinesisConsumer w1 = worker(config(endpoints, kinesis, w1Dynamo, app, stream, "w1")
                    .gracefulHandoffTimeout(Duration.ofMinutes(10)).metrics(countingMoves(moves, lost)),
                    recorder.factory("w1"));
            KinesisConsumer w2 = worker(config(endpoints, kinesis, dynamo, app, stream, "w2")
                    .gracefulHandoffTimeout(Duration.ofMinutes(10)).metrics(countingMoves(moves, lost)),
                    recorder.factory("w2"));
            w1.start(); // alone: it creates all 20 leases for itself, and can adopt 6 of them
            await("w1 processes the 6 leases it can read", Duration.ofSeconds(60),
                    () -> w1.activeShards().size() == 6);
            assertEquals(6, w1.heldLeases().size(), "the other 14 are w1's but not looked up");
            w2.start(); // pulls 3 (half the difference of the heartbeat counts, 6 and 0) of w1's 20, at random
            await("w2 processes the leases it pulled", Duration.ofSeconds(60),
                    () -> w2.activeShards().size() >= 3);
            assertTrue(moves.values().stream().mapToInt(AtomicInteger::get).sum() >= 3, "moved by handoff: " + moves);
            hide.on.set(false); // w1 reads its leases now (told to look them up, as an assigner would)
            WorkerTable rows = new WorkerTable(dynamo, app + ConsumerConfig.WORKER_TABLE_SUFFIX, app);
            assertTrue(rows.assigned("w1", 0).join());
            await("balanced", Duration.ofSeconds(90), () -> w1.activeShards().size() == 10
                    && w2.activeShards().size() == 10);
            await("every record", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
            expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                    Duration.ofSeconds(60)).data());
            assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
            assertEquals(List.of(), lost, "no lease was lost on the way");
            assertEquals(List.of(), recorder.duplicates(), "handoffs are graceful: no record twice");
            w1.shutdown().get(60, TimeUnit.SECONDS);
        }
    }

    /** Workers starting together converge without waiting out a handoff timeout (ten minutes here). */
    @Test
    void workersStartingTogetherConvergeWithoutAHandoffTimeout(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 16;
        String stream = streams.create(kinesis, "together", shards);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, 32);
        String app = Streams.uniqueStreamName("app-together");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        List<KinesisConsumer> fleet = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            fleet.add(worker(config(endpoints, kinesis, dynamo, app, stream, "w" + i)
                    .gracefulHandoffTimeout(Duration.ofMinutes(10)), recorder.factory("w" + i)));
        }
        List<Thread> starts = new ArrayList<>();
        for (KinesisConsumer w : fleet) {
            Thread t = new Thread(w::start);
            t.start();
            starts.add(t);
        }
        for (Thread t : starts) {
            t.join();
        }
        await("four shards each", Duration.ofSeconds(90), () -> fleet.stream()
                .allMatch(w -> w.activeShards().size() == shards / 4));
        await("every record", Duration.ofSeconds(90), () -> recorder.distinct() == expected.size());
        expected.addAll(IntegrationSupport.putMarkersAndAwait(kinesis, stream, "end", recorder,
                Duration.ofSeconds(60)).data());
        assertEquals(expected, recorder.deliveries.keySet(), "nothing lost");
        assertEquals(List.of(), recorder.duplicates(), "no record twice");
    }

    /**
     * A worker whose start-up outlasts the failover time after it joined (here its first read of the worker rows
     * takes twice the failover time; the leader's creation of many leases, or a stream consumer's registration, can
     * take as long) keeps beating meanwhile: its peers do not declare it dead before it started.
     */
    @Test
    void aSlowStartAfterJoiningIsNotTakenForADeath(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        int shards = 4;
        String stream = streams.create(kinesis, "slow-start", shards);
        String app = Streams.uniqueStreamName("app-slow");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        List<String> evictions = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean slowed = new AtomicBoolean();
        ExecutionInterceptor slowFirstFleetRead = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof QueryRequest r
                        && r.tableName().endsWith(ConsumerConfig.WORKER_TABLE_SUFFIX) && slowed.compareAndSet(false,
                                true)) {
                    try {
                        Thread.sleep(FAILOVER.multipliedBy(2).toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        ExecutionInterceptor recordEvictions = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof UpdateItemRequest r
                        && r.tableName().endsWith(ConsumerConfig.WORKER_TABLE_SUFFIX)
                        && r.updateExpression().startsWith("SET #e")) {
                    evictions.add(r.key().get("workerId").s());
                }
            }
        };
        try (DynamoDbAsyncClient w1Dynamo = endpoints.dynamoDbClientBuilder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(slowFirstFleetRead)).build();
                DynamoDbAsyncClient w2Dynamo = endpoints.dynamoDbClientBuilder()
                        .overrideConfiguration(c -> c.addExecutionInterceptor(recordEvictions)).build()) {
            KinesisConsumer w2 = worker(config(endpoints, kinesis, w2Dynamo, app, stream, "w2"),
                    recorder.factory("w2"));
            w2.start();
            await("w2 processes every shard", Duration.ofSeconds(60), () -> w2.activeShards().size() == shards);
            KinesisConsumer w1 = worker(config(endpoints, kinesis, w1Dynamo, app, stream, "w1"),
                    recorder.factory("w1"));
            w1.start(); // joins, then its first read of the fleet takes twice the failover time
            assertTrue(slowed.get());
            await("two shards each", Duration.ofSeconds(60), () -> w1.activeShards().size() == 2
                    && w2.activeShards().size() == 2);
            assertEquals(List.of(), evictions, "w1 beat while it started");
            w1.shutdown().get(60, TimeUnit.SECONDS);
            w2.shutdown().get(60, TimeUnit.SECONDS);
        }
    }
}
