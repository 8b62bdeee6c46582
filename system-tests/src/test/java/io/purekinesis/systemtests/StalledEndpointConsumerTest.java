package io.purekinesis.systemtests;

import static io.purekinesis.systemtests.StalledEndpointSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.CheckpointFailedException;
import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.systemtests.StalledEndpointProxy.Mode;
import io.purekinesis.testkit.FaultInjector;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * A consumer worker cut off from its endpoints while records keep arriving in the stream (written by another
 * client, which still reaches Kinesis): the worker's Kinesis and DynamoDB clients go through
 * {@link StalledEndpointProxy proxies}.
 * <ol>
 *   <li>Kinesis unreachable (every connection reset) for longer than the failover time, DynamoDB fine: the worker
 *       keeps both leases the whole time, and when Kinesis is back it delivers what arrived meanwhile, with no loss
 *       and no duplicate.</li>
 *   <li>Kinesis and DynamoDB stalled (connections accepted, never answered) for longer than the failover time: the
 *       worker drops its leases cleanly (processors get {@code leaseLost}, no checkpoint succeeds after it), and when
 *       the endpoints are back it takes the leases again and resumes from the checkpoints: no loss; a record is
 *       delivered again only if it was delivered after its processor's last successful checkpoint.</li>
 * </ol>
 */
@ExtendWith(LocalEndpointsExtension.class)
class StalledEndpointConsumerTest {

    /** Generous for a loaded machine: a renewal slower than this drops a lease even while DynamoDB is reachable. */
    private static final Duration FAILOVER = Duration.ofSeconds(5);
    private static final Duration PAST_FAILOVER = FAILOVER.plusSeconds(2);
    /** How long an outage may take to show its effect (calls failing, leases dropped) on a busy machine. */
    private static final Duration OUTAGE_DEADLINE = Duration.ofSeconds(60);
    /** Kinesis calls reset by the proxy that show the worker met the outage (it polls every 200 ms, and retries). */
    private static final int RESETS_MET = 3;
    /** GetRecords polls after the last delivery in which a duplicated fetch chain would have delivered again. */
    private static final int POLLS_AFTER_DELIVERY = 15;
    private static final int PER_PHASE = 100;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void workerCutOffFromItsEndpointsResumesWithoutLoss(LocalEndpoints endpoints, KinesisAsyncClient direct)
            throws Exception {
        String stream = Streams.uniqueStreamName("stall-consumer");
        Streams.createStream(direct, stream, 2);
        String app = Streams.uniqueStreamName("stall-consumer-app");
        Tracker tracker = new Tracker();
        try (StalledEndpointProxy kinesisProxy = new StalledEndpointProxy(endpoints.kinesis().endpoint());
                StalledEndpointProxy dynamoProxy = new StalledEndpointProxy(endpoints.dynamoDb().endpoint());
                KinesisAsyncClient kinesis = endpoints.kinesisClientBuilder()
                        .endpointOverride(kinesisProxy.endpoint()).build();
                DynamoDbAsyncClient dynamo = endpoints.dynamoDbClientBuilder()
                        .endpointOverride(dynamoProxy.endpoint()).build()) {
            KinesisConsumer worker = new KinesisConsumer(ConsumerConfig.builder()
                    .applicationName(app).streamName(stream).workerId("stalled-worker")
                    .initialPosition(InitialPosition.trimHorizon())
                    .failoverTime(FAILOVER)
                    .idleTimeBetweenReads(Duration.ofMillis(200))
                    .kinesisClient(kinesis).dynamoDbClient(dynamo)
                    .build(), tracker::newProcessor);
            try {
                worker.start();
                List<String> all = new ArrayList<>(put(direct, stream, "before", PER_PHASE));
                await("records before the outage delivered", Duration.ofSeconds(60),
                        () -> tracker.deliveredAll(all));
                await("both leases held", Duration.ofSeconds(60), () -> worker.heldLeases().size() == 2);

                // 1. Kinesis unreachable for longer than the failover time; the lease table stays reachable. The
                // outage lasts until the worker has met it (its calls reset) as well as past the failover time, so
                // "leases held throughout" means something however slow the machine is.
                long resetsBefore = kinesisProxy.resetConnections();
                kinesisProxy.mode(Mode.RESET);
                long outage1 = System.nanoTime();
                all.addAll(put(direct, stream, "kinesis-down", PER_PHASE));
                int minHeld = Integer.MAX_VALUE;
                while (System.nanoTime() - outage1 < PAST_FAILOVER.toNanos()
                        || kinesisProxy.resetConnections() - resetsBefore < RESETS_MET) {
                    assertTrue(System.nanoTime() - outage1 < OUTAGE_DEADLINE.toNanos(), "the worker made only "
                            + (kinesisProxy.resetConnections() - resetsBefore) + " Kinesis calls in the outage");
                    minHeld = Math.min(minHeld, worker.heldLeases().size());
                    Thread.sleep(50);
                }
                int deliveredDuringOutage1 = tracker.deliveries.size() - PER_PHASE;
                kinesisProxy.mode(Mode.PASS);
                long healed1 = System.nanoTime();
                await("records of the Kinesis outage delivered", Duration.ofSeconds(60),
                        () -> tracker.deliveredAll(all));
                long resume1Millis = (System.nanoTime() - healed1) / 1_000_000;
                long outage1Millis = (healed1 - outage1) / 1_000_000;
                assertEquals(2, minHeld, "the worker let a lease go while only Kinesis was unreachable");
                assertEquals(0, tracker.leaseLost.get(), "leaseLost while only Kinesis was unreachable");
                assertEquals(0, deliveredDuringOutage1, "delivered while Kinesis was unreachable?");
                assertTrue(tracker.duplicates().isEmpty(), "duplicates without a lease change: "
                        + tracker.duplicates());
                System.out.printf("STALL consumer 1 (Kinesis reset, DynamoDB up): outage %d ms (failover %d ms),"
                        + " leases held throughout (min %d of 2), leaseLost 0, %d records put meanwhile delivered"
                        + " %d ms after Kinesis came back; %d distinct delivered, 0 duplicates; %d connections"
                        + " reset by the proxy%n", outage1Millis, FAILOVER.toMillis(), minHeld, PER_PHASE,
                        resume1Millis, tracker.deliveries.size(), kinesisProxy.resetConnections());

                // 2. Kinesis and DynamoDB stalled (open, silent) for twice the failover time.
                int checkpointsBefore = tracker.checkpointsOk.get();
                kinesisProxy.mode(Mode.BLACKHOLE);
                dynamoProxy.mode(Mode.BLACKHOLE);
                long outage2 = System.nanoTime();
                all.addAll(put(direct, stream, "both-stalled", PER_PHASE));
                await("the worker dropped its leases", OUTAGE_DEADLINE, () -> worker.heldLeases().isEmpty());
                long droppedAfter = (System.nanoTime() - outage2) / 1_000_000;
                while (System.nanoTime() - outage2 < PAST_FAILOVER.toNanos()) {
                    Thread.sleep(50);
                }
                kinesisProxy.mode(Mode.PASS); // like an endpoint restart: stalled connections are reset
                dynamoProxy.mode(Mode.PASS);
                long healed2 = System.nanoTime();
                long outage2Millis = (healed2 - outage2) / 1_000_000;
                await("records of the full stall delivered", Duration.ofSeconds(90), () -> tracker.deliveredAll(all));
                long resume2Millis = (System.nanoTime() - healed2) / 1_000_000;
                await("leases taken back", Duration.ofSeconds(60), () -> worker.heldLeases().size() == 2);
                assertTrue(tracker.leaseLost.get() >= 1, "no processor was told it lost its lease");
                assertTrue(tracker.violations.isEmpty(), tracker.violations.toString());
                List<String> duplicates = tracker.duplicates();
                for (String d : duplicates) {
                    assertTrue(tracker.mayRepeat.contains(d), d + " delivered twice although checkpointed");
                }
                System.out.printf("STALL consumer 2 (Kinesis and DynamoDB stalled): outage %d ms, leases dropped"
                        + " %d ms into it (failover %d ms), leaseLost calls %d, checkpoints refused %d / failed %d,"
                        + " checkpoints ok before %d after %d; after the endpoints came back all %d records"
                        + " delivered in %d ms, leases held again %s; %d distinct delivered, %d duplicates (all after"
                        + " their processor's last successful checkpoint), %d processor instances, %d request bytes"
                        + " swallowed%n", outage2Millis, droppedAfter, FAILOVER.toMillis(), tracker.leaseLost.get(),
                        tracker.checkpointsRefused.get(), tracker.checkpointsFailed.get(), checkpointsBefore,
                        tracker.checkpointsOk.get(), all.size(), resume2Millis, worker.heldLeases().size(),
                        tracker.deliveries.size(), duplicates.size(), tracker.instances.get(),
                        kinesisProxy.swallowedBytes() + dynamoProxy.swallowedBytes());
                assertEquals(all.size(), tracker.deliveries.size());
            } finally {
                worker.shutdown().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Kinesis unreachable exactly while the worker takes its lease: every GetShardIterator fails (connection reset,
     * injected with {@link FaultInjector} for the first 6 s) and the fetcher must back off, then read the shard once,
     * in order, each record once, at no more than the documented 5 GetRecords calls per second.
     *
     * <p>Regression test: ShardFetcher used to handle a failed GetShardIterator twice ({@code failed(...)} in its
     * {@code whenCompleteAsync} callback and again {@code unexpected(...)} in the {@code exceptionally} after it), so
     * each failure scheduled two retries and the shard's fetch chains doubled with every failed attempt: with an 8 s
     * outage, 35 GetShardIterator attempts, 140 GetRecords calls in the 7 s after on one shard, and every record put
     * after the outage delivered twice to the same processor instance. Fixed by using {@code handleAsync}.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void kinesisUnreachableWhileTheWorkerTakesItsLease(LocalEndpoints endpoints, KinesisAsyncClient direct,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("stall-iterator");
        Streams.createStream(direct, stream, 1);
        List<String> all = new ArrayList<>(put(direct, stream, "before", PER_PHASE / 2));
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        ExecutionInterceptor counting = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                calls.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
                        k -> new AtomicInteger()).incrementAndGet();
            }
        };
        Duration outage = Duration.ofSeconds(6);
        long outageStart = System.nanoTime(); // the injector's window starts when it is built
        FaultInjector faults = FaultInjector.builder()
                .fail(FaultInjector.Fault.CONNECTION_RESET, "GetShardIterator",
                        FaultInjector.When.during(Duration.ZERO, outage))
                .build();
        Tracker tracker = new Tracker();
        List<String> order = new CopyOnWriteArrayList<>();
        try (KinesisAsyncClient kinesis = endpoints.kinesisClientBuilder().overrideConfiguration(o -> o
                .addExecutionInterceptor(counting).addExecutionInterceptor(faults)).build()) {
            KinesisConsumer worker = new KinesisConsumer(ConsumerConfig.builder()
                    .applicationName(Streams.uniqueStreamName("stall-iterator-app")).streamName(stream)
                    .workerId("iterator-worker").initialPosition(InitialPosition.trimHorizon())
                    .failoverTime(FAILOVER).idleTimeBetweenReads(Duration.ofMillis(200))
                    .kinesisClient(kinesis).dynamoDbClient(dynamo).build(), () -> {
                        RecordProcessor p = tracker.newProcessor();
                        return new RecordProcessor() {
                            @Override
                            public void initialize(InitializationInput input) {
                                p.initialize(input);
                            }

                            @Override
                            public void processRecords(ProcessRecordsInput input) {
                                input.records().forEach(r -> order.add(new String(r.dataBytes(),
                                        StandardCharsets.UTF_8)));
                                p.processRecords(input);
                            }

                            @Override
                            public void leaseLost() {
                                p.leaseLost();
                            }

                            @Override
                            public void shardEnded(Checkpointer checkpointer) {
                                p.shardEnded(checkpointer);
                            }

                            @Override
                            public void shutdownRequested(Checkpointer checkpointer) {
                                p.shutdownRequested(checkpointer);
                            }
                        };
                    });
            try {
                worker.start();
                while (System.nanoTime() - outageStart < outage.toNanos()) {
                    Thread.sleep(50);
                }
                assertTrue(faults.injected(FaultInjector.Fault.CONNECTION_RESET) > 0,
                        "no GetShardIterator in the outage");
                int iteratorAttempts = calls.getOrDefault("GetShardIterator", new AtomicInteger()).get();
                await("records put before delivered", Duration.ofSeconds(60), () -> tracker.deliveredAll(all));
                calls.clear();
                long windowStart = System.nanoTime();
                all.addAll(put(direct, stream, "after", PER_PHASE / 2));
                await("records put after delivered", Duration.ofSeconds(60), () -> tracker.deliveredAll(all));
                // The window ends on a count, not after a sleep: POLLS_AFTER_DELIVERY more polls of the shard, in
                // which a second fetch chain would have delivered the records again. A busy machine only makes the
                // window longer, so the rate bound below only gets easier.
                int atDelivery = getRecordsCalls(calls);
                await("GetRecords polls after the last delivery", Duration.ofSeconds(60),
                        () -> getRecordsCalls(calls) >= atDelivery + POLLS_AFTER_DELIVERY);
                int getRecords = getRecordsCalls(calls);
                double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
                System.out.printf("STALL consumer 3 (GetShardIterator failing for %d ms while taking the lease):"
                        + " %d GetShardIterator attempts (%d resets injected), then %d GetRecords calls in the %.1f s"
                        + " after; %d delivered, %d distinct, %d same-instance duplicates%n", outage.toMillis(),
                        iteratorAttempts, faults.injected(FaultInjector.Fault.CONNECTION_RESET), getRecords,
                        windowSeconds, order.size(), tracker.deliveries.size(), tracker.violations.size());
                assertTrue(tracker.violations.isEmpty(), tracker.violations.size() + " violations, first: "
                        + tracker.violations.subList(0, Math.min(5, tracker.violations.size())));
                assertEquals(all, order, "delivery order or duplicates");
                // 5 calls/s per shard documented; a slow machine only lowers the rate. Generous bound: 2x.
                assertTrue(getRecords <= 2 * 5 * windowSeconds + 5, getRecords + " GetRecords calls in "
                        + windowSeconds + " s on one shard");
                // backoff 200 ms doubling to 10 s over 6 s: about 5 calls, each up to 4 SDK attempts
                assertTrue(iteratorAttempts <= 60, iteratorAttempts + " GetShardIterator attempts in "
                        + outage.toMillis() + " ms");
            } finally {
                worker.shutdown().get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static int getRecordsCalls(Map<String, AtomicInteger> calls) {
        return calls.getOrDefault("GetRecords", new AtomicInteger()).get();
    }

    /** Puts {@code count} records straight into the stream (not through the worker's proxies); @return their data */
    private static List<String> put(KinesisAsyncClient kinesis, String stream, String phase, int count) {
        List<PutRecordsRequestEntry> left = new ArrayList<>();
        List<String> data = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String d = phase + "-" + i;
            data.add(d);
            left.add(PutRecordsRequestEntry.builder().partitionKey("key-" + i).data(SdkBytes.fromUtf8String(d))
                    .build());
        }
        for (int attempt = 0; !left.isEmpty(); attempt++) {
            assertTrue(attempt < 20, "PutRecords kept failing");
            List<PutRecordsRequestEntry> batch = left;
            PutRecordsResponse r = kinesis.putRecords(b -> b.streamName(stream).records(batch)).join();
            List<PutRecordsRequestEntry> failed = new ArrayList<>();
            for (int i = 0; i < r.records().size(); i++) {
                if (r.records().get(i).errorCode() != null) {
                    failed.add(batch.get(i));
                }
            }
            left = failed;
        }
        return data;
    }

    /** Every delivery of every processor instance, and what may legitimately be delivered again. */
    static final class Tracker {
        final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        final Set<String> mayRepeat = ConcurrentHashMap.newKeySet();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicInteger instances = new AtomicInteger();
        final AtomicInteger leaseLost = new AtomicInteger();
        final AtomicInteger checkpointsOk = new AtomicInteger();
        final AtomicInteger checkpointsRefused = new AtomicInteger();
        final AtomicInteger checkpointsFailed = new AtomicInteger();

        RecordProcessor newProcessor() {
            instances.incrementAndGet();
            return new Processor();
        }

        boolean deliveredAll(List<String> data) {
            return deliveries.keySet().containsAll(data);
        }

        List<String> duplicates() {
            List<String> out = new ArrayList<>();
            deliveries.forEach((k, v) -> {
                if (v.get() > 1) {
                    out.add(k);
                }
            });
            return out;
        }

        final class Processor implements RecordProcessor {
            private final Set<String> seen = ConcurrentHashMap.newKeySet();
            private final List<String> sinceCheckpoint = new ArrayList<>();
            private final AtomicBoolean lost = new AtomicBoolean();
            private String shardId;

            @Override
            public void initialize(InitializationInput input) {
                shardId = input.shardId();
            }

            @Override
            public void processRecords(ProcessRecordsInput input) {
                for (KinesisUserRecord r : input.records()) {
                    String d = new String(r.dataBytes(), StandardCharsets.UTF_8);
                    if (!seen.add(d)) {
                        violations.add("instance of " + shardId + " got " + d + " twice");
                    }
                    deliveries.computeIfAbsent(d, k -> new AtomicInteger()).incrementAndGet();
                    sinceCheckpoint.add(d);
                }
                checkpoint(input.checkpointer());
            }

            private void checkpoint(Checkpointer checkpointer) {
                try {
                    checkpointer.checkpoint();
                    if (lost.get()) {
                        violations.add("checkpoint of " + shardId + " succeeded after leaseLost");
                    }
                    checkpointsOk.incrementAndGet();
                    sinceCheckpoint.clear();
                } catch (LeaseLostException e) {
                    checkpointsRefused.incrementAndGet();
                    mayRepeat.addAll(sinceCheckpoint);
                } catch (CheckpointFailedException e) {
                    checkpointsFailed.incrementAndGet();
                    mayRepeat.addAll(sinceCheckpoint);
                }
            }

            @Override
            public void leaseLost() {
                lost.set(true);
                leaseLost.incrementAndGet();
                mayRepeat.addAll(sinceCheckpoint);
            }

            @Override
            public void shardEnded(Checkpointer checkpointer) {
                checkpoint(checkpointer);
            }

            @Override
            public void shutdownRequested(Checkpointer checkpointer) {
                checkpoint(checkpointer);
            }
        }
    }
}
