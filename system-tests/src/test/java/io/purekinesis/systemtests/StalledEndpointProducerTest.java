package io.purekinesis.systemtests;

import static io.purekinesis.systemtests.StalledEndpointSupport.assertExpiredAndDeadLettered;
import static io.purekinesis.systemtests.StalledEndpointSupport.await;
import static io.purekinesis.systemtests.StalledEndpointSupport.storedUserRecords;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.BackpressureMode;
import io.purekinesis.producer.BufferFullException;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.systemtests.StalledEndpointSupport.Ledger;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.LocalKinesis;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The producer while Kinesis is out of reach for longer than the record TTL, and after it comes back:
 * <ol>
 *   <li>(a) the outstanding records and bytes never exceed {@code maxOutstandingRecords} / {@code maxOutstandingBytes};
 *   <li>(b) {@code add} applies the configured backpressure: BLOCK waits {@code addTimeout} then throws
 *       {@link BufferFullException}; FAIL_FAST throws it at once;
 *   <li>(c) every record whose TTL passes fails with {@code RecordExpiredException} (TTL_EXPIRED) and reaches the
 *       dead-letter handler with its attempts and last error;
 *   <li>(d) when the endpoint is back the same producer stores new records, which are read back, and every record
 *       ended exactly once (a successful future, or a failed future plus one dead letter).
 * </ol>
 * Two kinds of outage: a stopped emulator (connection refused: a private {@link LocalKinesis} with persistence, since
 * the shared one serves other tests) and a stalled one (a proxy that accepts connections and never answers, so every
 * call runs into the producer's {@code requestTimeout}).
 */
@ExtendWith(LocalEndpointsExtension.class)
class StalledEndpointProducerTest {

    private static final Duration TTL = Duration.ofSeconds(4);
    private static final Duration ADD_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
    private static final long MAX_BYTES = ProducerConfig.MAX_RECORD_SIZE_BYTES; // the smallest budget allowed
    private static final int WARM_UP = 100;
    private static final int RECOVERY = 100;

    private static ProducerConfig.Builder config(KinesisAsyncClient client, Ledger ledger) {
        return ProducerConfig.builder()
                .kinesisClient(client)
                .recordTtl(TTL)
                .requestTimeout(REQUEST_TIMEOUT)
                .retryBaseDelay(Duration.ofMillis(100))
                .retryMaxDelay(Duration.ofMillis(500))
                .maxOutstandingBytes(MAX_BYTES)
                .deadLetterHandler(ledger::deadLetter);
    }

    /** Stopped emulator (connection refused) for 2 TTLs; BLOCK backpressure; byte budget is the binding one. */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void unreachableEndpointLongerThanTtlThenRecovery() throws Exception {
        int maxRecords = 1_000;
        int recordSize = 4 * 1024; // 1 MiB / ~4 KiB: about 250 records fill the byte budget first
        try (LocalKinesis kinesisLocal = LocalKinesis.builder().persistData(true).start();
                KinesisAsyncClient client = kinesisLocal.asyncClientBuilder().build()) {
            String stream = Streams.uniqueStreamName("stall-refused");
            Streams.createStream(client, stream, 2);
            Ledger ledger = new Ledger();
            KinesisProducer producer = KinesisProducer.create(config(client, ledger)
                    .maxOutstandingRecords(maxRecords)
                    .backpressure(BackpressureMode.BLOCK)
                    .addTimeout(ADD_TIMEOUT)
                    .producerName("stall-refused")
                    .build());
            try {
                warmUp(producer, ledger, stream, recordSize);

                kinesisLocal.stop(); // with persistence: everything acknowledged so far is kept
                long stallStart = System.nanoTime();
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = sampler(producer, ledger, sampling);

                // (b) BLOCK: fill the budget; the first add that finds no room waits addTimeout, then throws.
                int accepted = 0;
                BufferFullException full = null;
                long blockedMillis = 0;
                while (full == null) {
                    String data = ledger.nextData("stall", recordSize);
                    long t0 = System.nanoTime();
                    try {
                        ledger.add(producer, stream, data);
                        accepted++;
                    } catch (BufferFullException e) {
                        full = e;
                        blockedMillis = (System.nanoTime() - t0) / 1_000_000;
                    }
                    assertTrue(accepted < 10_000, "the budget never filled");
                }
                assertTrue(full.getMessage().contains("waited " + ADD_TIMEOUT.toMillis() + " ms"), full.getMessage());
                assertTrue(full.getMessage().contains("maxOutstandingBytes"), full.getMessage());
                assertEquals(MAX_BYTES, full.limitBytes());
                assertTrue(full.availableBytes() < full.requestedBytes(), full.getMessage());
                assertTrue(blockedMillis >= ADD_TIMEOUT.toMillis() - 50, "BLOCK add returned after " + blockedMillis
                        + " ms, before addTimeout " + ADD_TIMEOUT.toMillis() + " ms");
                System.out.printf("STALL refused: budget full after %d records (%d bytes outstanding of %d);"
                        + " blocked add threw after %d ms: %s%n", accepted, producer.outstandingBytes(), MAX_BYTES,
                        blockedMillis, full.getMessage());

                // Keep adding for one more TTL and a bit: blocked adds either get room freed by expired records or
                // throw; the budget is never exceeded.
                int rejected = 1;
                long keepUntil = stallStart + TTL.toNanos() + TimeUnit.SECONDS.toNanos(2);
                while (System.nanoTime() - keepUntil < 0) {
                    try {
                        ledger.add(producer, stream, ledger.nextData("stall", recordSize));
                        accepted++;
                    } catch (BufferFullException e) {
                        rejected++;
                    }
                }
                // (c) everything accepted during the outage expires and is dead-lettered
                await("every stall record expired", Duration.ofSeconds(60), () -> producer.outstandingRecords() == 0);
                long stallMillis = (System.nanoTime() - stallStart) / 1_000_000;
                List<String> stall = ledger.withPrefix("stall");
                assertEquals(accepted, stall.size());
                await("every stall record dead-lettered", Duration.ofSeconds(30),
                        () -> ledger.deadLetterCalls.get() == stall.size());
                String summary = assertExpiredAndDeadLettered(ledger, stall, 1);

                // (d) the endpoint comes back: the same producer stores new records
                kinesisLocal.restart();
                long downMillis = (System.nanoTime() - stallStart) / 1_000_000;
                Map<String, Integer> stored = recoverAndCheck(producer, ledger, client, stream, recordSize,
                        maxRecords, sampling, sampler);
                System.out.printf("STALL refused: endpoint down %d ms (TTL %d ms), adds accepted during outage %d,"
                        + " rejected (BufferFullException) %d, expired+dead-lettered %d, %s; peak outstanding"
                        + " %d records / %d bytes (limits %d / %d); warm-up stored %d, after restart stored %d of %d;"
                        + " stream holds %d user records, each once; stall lasted %d ms until the last expiry%n",
                        downMillis, TTL.toMillis(), accepted, rejected, stall.size(), summary, ledger.maxRecords.get(),
                        ledger.maxBytes.get(), maxRecords, MAX_BYTES, WARM_UP, RECOVERY, RECOVERY,
                        stored.size(), stallMillis);
            } finally {
                producer.close(Duration.ofSeconds(10));
            }
        }
    }

    /** An endpoint that accepts connections and never answers, for 2 TTLs; FAIL_FAST; record budget binds. */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void stalledOpenEndpointLongerThanTtlThenRecovery(LocalEndpoints endpoints, KinesisAsyncClient direct)
            throws Exception {
        int maxRecords = 200;
        int recordSize = 200;
        try (StalledEndpointProxy proxy = new StalledEndpointProxy(endpoints.kinesis().endpoint());
                KinesisAsyncClient client = endpoints.kinesisClientBuilder().endpointOverride(proxy.endpoint())
                        .build()) {
            String stream = Streams.uniqueStreamName("stall-open");
            Streams.createStream(direct, stream, 2);
            Ledger ledger = new Ledger();
            KinesisProducer producer = KinesisProducer.create(config(client, ledger)
                    .maxOutstandingRecords(maxRecords)
                    .backpressure(BackpressureMode.FAIL_FAST)
                    .producerName("stall-open")
                    .build());
            try {
                warmUp(producer, ledger, stream, recordSize);

                proxy.mode(StalledEndpointProxy.Mode.BLACKHOLE);
                long stallStart = System.nanoTime();
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = sampler(producer, ledger, sampling);

                // (b) FAIL_FAST: once the record budget is used up, add throws without waiting for room
                int accepted = 0;
                int rejected = 0;
                BufferFullException first = null;
                long firstRejectMicros = 0;
                long keepUntil = stallStart + TTL.toNanos() + TimeUnit.SECONDS.toNanos(2);
                while (System.nanoTime() - keepUntil < 0) {
                    long t0 = System.nanoTime();
                    try {
                        ledger.add(producer, stream, ledger.nextData("stall", recordSize));
                        accepted++;
                    } catch (BufferFullException e) {
                        if (first == null) {
                            first = e;
                            firstRejectMicros = (System.nanoTime() - t0) / 1_000;
                            assertEquals(maxRecords, producer.outstandingRecords(), "rejected below the record limit");
                        }
                        rejected++;
                        Thread.sleep(5);
                    }
                }
                assertTrue(first != null, "the record budget never filled");
                assertTrue(first.getMessage().contains("(no room)"), "FAIL_FAST waited: " + first.getMessage());
                assertTrue(first.getMessage().contains(maxRecords + " of " + maxRecords + " records outstanding"),
                        first.getMessage());

                await("every stall record expired", Duration.ofSeconds(60), () -> producer.outstandingRecords() == 0);
                long stallMillis = (System.nanoTime() - stallStart) / 1_000_000;
                List<String> stall = ledger.withPrefix("stall");
                assertEquals(accepted, stall.size());
                await("every stall record dead-lettered", Duration.ofSeconds(30),
                        () -> ledger.deadLetterCalls.get() == stall.size());
                String summary = assertExpiredAndDeadLettered(ledger, stall, 0);
                long swallowed = proxy.swallowedBytes();
                assertTrue(swallowed > 0, "no request reached the stalled endpoint");

                proxy.mode(StalledEndpointProxy.Mode.PASS);
                Map<String, Integer> stored = recoverAndCheck(producer, ledger, direct, stream, recordSize,
                        maxRecords, sampling, sampler);
                System.out.printf("STALL open: endpoint stalled %d ms (TTL %d ms, requestTimeout %d ms), adds accepted"
                        + " %d, rejected at once (FAIL_FAST) %d (first in %d us: %s), expired+dead-lettered %d, %s;"
                        + " %d request bytes swallowed; peak outstanding %d records / %d bytes (limits %d / %d);"
                        + " after recovery stored %d of %d; stream holds %d user records, each once%n",
                        stallMillis, TTL.toMillis(), REQUEST_TIMEOUT.toMillis(), accepted, rejected, firstRejectMicros,
                        first.getMessage(), stall.size(), summary, swallowed, ledger.maxRecords.get(),
                        ledger.maxBytes.get(), maxRecords, MAX_BYTES, RECOVERY, RECOVERY, stored.size());
            } finally {
                producer.close(Duration.ofSeconds(10));
            }
        }
    }

    /**
     * BLOCK backpressure and a record added from another record's completion callback (a common chaining pattern):
     * the completed record no longer counts against the budget, so with a budget of one record the chained add must
     * not wait.
     *
     * <p>The budget of a decided record is released before its future completes (a regression test: it used to be
     * released after, so the chained add waited for room only its own thread could free, for the whole addTimeout).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void addFromACompletionCallbackIsNotBlockedByTheCompletedRecord(KinesisAsyncClient direct) throws Exception {
        String stream = Streams.uniqueStreamName("stall-chained");
        Streams.createStream(direct, stream, 1);
        Ledger ledger = new Ledger();
        KinesisProducer producer = KinesisProducer.create(config(direct, ledger).maxOutstandingRecords(1)
                .backpressure(BackpressureMode.BLOCK).addTimeout(Duration.ofSeconds(5)).producerName("stall-chained")
                .build());
        try {
            CompletableFuture<RecordResult> chained = producer.add(stream, "k", new byte[10])
                    .thenCompose(first -> producer.add(stream, "k", new byte[10]));
            RecordResult second = chained.get(30, TimeUnit.SECONDS);
            assertFalse(second.sequenceNumber().isEmpty());
        } finally {
            producer.close(Duration.ofSeconds(10));
        }
    }

    private static void warmUp(KinesisProducer producer, Ledger ledger, String stream, int recordSize)
            throws Exception {
        produceAndAwait(producer, ledger, stream, "warmup", WARM_UP, recordSize);
        // the budget is released on the callback thread, just before the futures complete
        await("warm-up budget released", Duration.ofSeconds(30), () -> producer.outstandingRecords() == 0);
    }

    /** Adds {@code count} records and waits until every one is stored; @return their data */
    private static List<String> produceAndAwait(KinesisProducer producer, Ledger ledger, String stream, String phase,
            int count, int recordSize) throws Exception {
        List<String> data = new ArrayList<>();
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String d = ledger.nextData(phase, recordSize);
            data.add(d);
            futures.add(ledger.add(producer, stream, d));
        }
        producer.flush();
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(90, TimeUnit.SECONDS);
        for (CompletableFuture<RecordResult> f : futures) {
            assertFalse(f.isCompletedExceptionally());
        }
        return data;
    }

    /**
     * The endpoint is back: the same producer stores {@link #RECOVERY} new records (all of them, or this throws); the
     * budget bound held throughout the sampling; every record ended exactly once; the stream holds exactly the
     * records whose futures succeeded. @return the user records in the stream, with their copies
     */
    private static Map<String, Integer> recoverAndCheck(KinesisProducer producer, Ledger ledger,
            KinesisAsyncClient client, String stream, int recordSize, int maxRecords, AtomicBoolean sampling,
            Thread sampler) throws Exception {
        List<String> recovered = produceAndAwait(producer, ledger, stream, "recovery", RECOVERY, recordSize);
        sampling.set(false);
        sampler.join();
        assertTrue(ledger.maxBytes.get() <= MAX_BYTES, "outstanding bytes peaked at " + ledger.maxBytes);
        assertTrue(ledger.maxRecords.get() <= maxRecords, "outstanding records peaked at " + ledger.maxRecords);
        List<String> succeeded = ledger.assertEachAccountedForOnce();
        Map<String, Integer> stored = storedUserRecords(client, stream);
        assertStoredExactlyTheSucceeded(stored, succeeded);
        assertTrue(succeeded.containsAll(recovered));
        return stored;
    }

    private static Thread sampler(KinesisProducer producer, Ledger ledger, AtomicBoolean running) {
        Thread t = new Thread(() -> {
            while (running.get()) {
                ledger.sample(producer);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stall-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void assertStoredExactlyTheSucceeded(Map<String, Integer> stored, List<String> succeeded) {
        for (String s : succeeded) {
            assertEquals(Integer.valueOf(1), stored.get(s), "stored copies of " + s);
        }
        assertEquals(succeeded.size(), stored.size(), "the stream holds records whose futures did not succeed");
    }
}
