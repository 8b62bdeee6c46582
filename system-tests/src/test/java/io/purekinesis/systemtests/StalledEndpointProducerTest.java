package io.purekinesis.systemtests;

import static io.purekinesis.systemtests.StalledEndpointSupport.assertExpiredAndDeadLettered;
import static io.purekinesis.systemtests.StalledEndpointSupport.await;
import static io.purekinesis.systemtests.StalledEndpointSupport.failureOf;
import static io.purekinesis.systemtests.StalledEndpointSupport.storedUserRecords;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.BackpressureMode;
import io.purekinesis.producer.BufferFullException;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordFailedException;
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
 *       {@link BufferFullException}; FAIL_FAST throws it at once; once records expire, their room takes new ones;
 *   <li>(c) every record whose TTL passes fails with {@code RecordExpiredException} (TTL_EXPIRED) and reaches the
 *       dead-letter handler with its attempts and last error; none of them is in the stream;
 *   <li>(d) when the endpoint is back the same producer stores new records, which are read back, and every record
 *       ended exactly once (a successful future, or a failed future plus one dead letter).
 * </ol>
 * Two kinds of outage: a stopped emulator (connection refused: a private {@link LocalKinesis} with persistence, since
 * the shared one serves other tests) and a stalled one (a proxy that accepts connections and never answers, so every
 * call runs into the producer's {@code requestTimeout}).
 *
 * <p>Robust on a busy machine: no phase has a fixed length that a healthy record must beat. The outage lasts until
 * records have expired and new ones took their room; the warm-up and the recovery add rounds of records until one
 * round is stored completely (a round that met a slow emulator just expires, and is accounted for like any other).
 * And since Kinesis is at-least-once (an attempt that timed out may still have stored its records), the stream is
 * checked against each record's attempts rather than for exactly one copy.
 */
@ExtendWith(LocalEndpointsExtension.class)
class StalledEndpointProducerTest {

    /** Far above what a healthy PutRecords takes on a busy machine, yet short enough for the outage to outlast it. */
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration ADD_TIMEOUT = Duration.ofSeconds(1);
    /** A restarted emulator loading its persisted data answers slowly at first: 1 s timed out (and duplicated). */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** When a round of records has ended: each succeeded or expired, at most a TTL and an attempt after its add. */
    private static final Duration ROUND_DEADLINE = TTL.plus(REQUEST_TIMEOUT).plusSeconds(60);
    /** How long the warm-up and the recovery may take, in rounds of records, before the test gives up. */
    private static final Duration HEALTHY_DEADLINE = Duration.ofSeconds(120);
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

    /** Stopped emulator (connection refused) past the TTL; BLOCK backpressure; byte budget is the binding one. */
    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
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
                int warmUpRounds = warmUp(producer, ledger, stream, recordSize);

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
                int acceptedWhenFull = accepted;
                assertTrue(full.getMessage().contains("waited " + ADD_TIMEOUT.toMillis() + " ms"), full.getMessage());
                assertTrue(full.getMessage().contains("maxOutstandingBytes"), full.getMessage());
                assertEquals(MAX_BYTES, full.limitBytes());
                assertTrue(full.availableBytes() < full.requestedBytes(), full.getMessage());
                assertTrue(blockedMillis >= ADD_TIMEOUT.toMillis() - 50, "BLOCK add returned after " + blockedMillis
                        + " ms, before addTimeout " + ADD_TIMEOUT.toMillis() + " ms");
                System.out.printf("STALL refused: budget full after %d records (%d bytes outstanding of %d);"
                        + " blocked add threw after %d ms: %s%n", accepted, producer.outstandingBytes(), MAX_BYTES,
                        blockedMillis, full.getMessage());

                // Keep adding past the TTL until expired records freed room and blocked adds got it; the budget is
                // never exceeded.
                int rejected = 1;
                Outage outage = new Outage(stallStart);
                while (!outage.over(accepted > acceptedWhenFull)) {
                    try {
                        ledger.add(producer, stream, ledger.nextData("stall", recordSize));
                        accepted++;
                    } catch (BufferFullException e) {
                        rejected++;
                    }
                }
                // (c) everything accepted during the outage expires and is dead-lettered
                List<String> stall = awaitStallExpired(producer, ledger, accepted);
                long stallMillis = (System.nanoTime() - stallStart) / 1_000_000;
                String summary = assertExpiredAndDeadLettered(ledger, stall, 1);

                // (d) the endpoint comes back: the same producer stores new records
                kinesisLocal.restart();
                long downMillis = (System.nanoTime() - stallStart) / 1_000_000;
                Recovery r = recoverAndCheck(producer, ledger, client, stream, recordSize, maxRecords, sampling,
                        sampler, stall);
                System.out.printf("STALL refused: endpoint down %d ms (TTL %d ms), adds accepted during outage %d"
                        + " (%d once expired records freed room), rejected (BufferFullException) %d,"
                        + " expired+dead-lettered %d, %s; peak outstanding %d records / %d bytes (limits %d / %d);"
                        + " warm-up stored %d records in %d round(s), after restart %d in %d round(s); %s; stall"
                        + " lasted %d ms until the last expiry%n",
                        downMillis, TTL.toMillis(), accepted, accepted - acceptedWhenFull, rejected, stall.size(),
                        summary, ledger.maxRecords.get(), ledger.maxBytes.get(), maxRecords, MAX_BYTES, WARM_UP,
                        warmUpRounds, RECOVERY, r.rounds(), r.stream(), stallMillis);
            } finally {
                producer.close(Duration.ofSeconds(10));
            }
        }
    }

    /** An endpoint that accepts connections and never answers, past the TTL; FAIL_FAST; record budget binds. */
    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
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
                int warmUpRounds = warmUp(producer, ledger, stream, recordSize);

                proxy.mode(StalledEndpointProxy.Mode.BLACKHOLE);
                long stallStart = System.nanoTime();
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = sampler(producer, ledger, sampling);

                // (b) FAIL_FAST: once the record budget is used up, add throws without waiting for room; once
                // records expired, their room takes new ones
                int accepted = 0;
                int rejected = 0;
                BufferFullException first = null;
                long firstRejectMicros = 0;
                Outage outage = new Outage(stallStart);
                while (!outage.over(first != null && accepted > maxRecords)) {
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
                        Thread.sleep(5); // pacing only: the loop ends on the records' expiry, not on time
                    }
                }
                assertTrue(first.getMessage().contains("(no room)"), "FAIL_FAST waited: " + first.getMessage());
                assertTrue(first.getMessage().contains(maxRecords + " of " + maxRecords + " records outstanding"),
                        first.getMessage());

                List<String> stall = awaitStallExpired(producer, ledger, accepted);
                long stallMillis = (System.nanoTime() - stallStart) / 1_000_000;
                String summary = assertExpiredAndDeadLettered(ledger, stall, 0);
                long swallowed = proxy.swallowedBytes();
                assertTrue(swallowed > 0, "no request reached the stalled endpoint");

                proxy.mode(StalledEndpointProxy.Mode.PASS);
                Recovery r = recoverAndCheck(producer, ledger, direct, stream, recordSize, maxRecords, sampling,
                        sampler, stall);
                System.out.printf("STALL open: endpoint stalled %d ms (TTL %d ms, requestTimeout %d ms), adds accepted"
                        + " %d, rejected at once (FAIL_FAST) %d (first in %d us: %s), expired+dead-lettered %d, %s;"
                        + " %d request bytes swallowed; peak outstanding %d records / %d bytes (limits %d / %d);"
                        + " warm-up %d round(s), after recovery stored %d in %d round(s); %s%n",
                        stallMillis, TTL.toMillis(), REQUEST_TIMEOUT.toMillis(), accepted, rejected, firstRejectMicros,
                        first.getMessage(), stall.size(), summary, swallowed, ledger.maxRecords.get(),
                        ledger.maxBytes.get(), maxRecords, MAX_BYTES, warmUpRounds, RECOVERY, r.rounds(), r.stream());
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

    /**
     * When to stop adding during an outage: once the TTL (and a bit) has passed since it began and {@code roomReused}
     * (expired records freed room that new adds took), which proves records outlived the TTL whatever the machine's
     * speed. Fails if that does not happen long after the TTL.
     */
    private static final class Outage {
        private final long minEnd;
        private final long deadline;

        Outage(long startNanos) {
            minEnd = startNanos + TTL.plusSeconds(2).toNanos();
            deadline = startNanos + TTL.plus(ROUND_DEADLINE).toNanos();
        }

        boolean over(boolean roomReused) {
            long now = System.nanoTime();
            if (now - minEnd >= 0 && roomReused) {
                return true;
            }
            assertTrue(now - deadline < 0, "no record expired and freed room within " + TTL.plus(ROUND_DEADLINE)
                    + " of the outage");
            return false;
        }
    }

    /** Waits until every record accepted during the outage ended and was dead-lettered; @return their data */
    private static List<String> awaitStallExpired(KinesisProducer producer, Ledger ledger, int accepted)
            throws InterruptedException {
        await("every stall record expired", ROUND_DEADLINE, () -> producer.outstandingRecords() == 0);
        List<String> stall = ledger.withPrefix("stall");
        assertEquals(accepted, stall.size());
        await("every stall record dead-lettered", ROUND_DEADLINE,
                () -> stall.stream().allMatch(ledger.deadLetters::containsKey));
        return stall;
    }

    /** Stores rounds of {@link #WARM_UP} records until one round is stored completely; @return the rounds needed */
    private static int warmUp(KinesisProducer producer, Ledger ledger, String stream, int recordSize)
            throws Exception {
        int rounds = produceUntilStored(producer, ledger, stream, "warmup", WARM_UP, recordSize).rounds();
        // the budget is released on the callback thread, just before the futures complete
        await("warm-up budget released", Duration.ofSeconds(60), () -> producer.outstandingRecords() == 0);
        return rounds;
    }

    /** A round of records stored completely, and how many rounds it took. */
    private record Stored(List<String> data, int rounds) {
    }

    /**
     * Adds rounds of {@code count} records, each round waited for until every record ended, until a round is stored
     * completely. A round can fail on a machine too slow for the TTL (a cold or restarted emulator under load): its
     * records expire and are dead-lettered, and are accounted for like every other record.
     */
    private static Stored produceUntilStored(KinesisProducer producer, Ledger ledger, String stream, String phase,
            int count, int recordSize) throws Exception {
        long deadline = System.nanoTime() + HEALTHY_DEADLINE.toNanos();
        for (int round = 1; ; round++) {
            List<String> data = new ArrayList<>();
            List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String d = ledger.nextData(phase, recordSize);
                data.add(d);
                futures.add(ledger.add(producer, stream, d));
            }
            producer.flush();
            CompletableFuture.allOf(futures.stream().map(f -> f.handle((r, e) -> null))
                    .toArray(CompletableFuture<?>[]::new)).get(ROUND_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            long failed = futures.stream().filter(CompletableFuture::isCompletedExceptionally).count();
            if (failed == 0) {
                return new Stored(data, round);
            }
            System.out.printf("STALL %s round %d: %d of %d records not stored (%s)%n", phase, round, failed, count,
                    failureOf(futures.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
                            .orElseThrow()).getMessage());
            assertTrue(System.nanoTime() - deadline < 0, "no round of " + count + " " + phase + " records stored"
                    + " completely within " + HEALTHY_DEADLINE + " (" + round + " rounds)");
        }
    }

    /** How the recovery went: the rounds it took, and a summary of the stream's contents. */
    private record Recovery(int rounds, String stream) {
    }

    /**
     * The endpoint is back: the same producer stores a round of {@link #RECOVERY} new records completely (within
     * {@link #HEALTHY_DEADLINE}, or this fails); the budget bound held throughout the sampling; every record ended
     * exactly once; the stream holds what the futures say.
     */
    private static Recovery recoverAndCheck(KinesisProducer producer, Ledger ledger, KinesisAsyncClient client,
            String stream, int recordSize, int maxRecords, AtomicBoolean sampling, Thread sampler, List<String> stall)
            throws Exception {
        Stored recovered = produceUntilStored(producer, ledger, stream, "recovery", RECOVERY, recordSize);
        sampling.set(false);
        sampler.join();
        assertTrue(ledger.maxBytes.get() <= MAX_BYTES, "outstanding bytes peaked at " + ledger.maxBytes);
        assertTrue(ledger.maxRecords.get() <= maxRecords, "outstanding records peaked at " + ledger.maxRecords);
        List<String> succeeded = ledger.assertEachAccountedForOnce();
        assertTrue(succeeded.containsAll(recovered.data()));
        Map<String, Integer> stored = storedUserRecords(client, stream);
        return new Recovery(recovered.rounds(), assertStoredAsTheFuturesSay(stored, ledger, succeeded, stall));
    }

    /**
     * The stream against the futures. Each attempt stores a record at most once, and one that timed out may have
     * stored it although the future went on to retry (or expire): so a record whose future succeeded is stored at
     * least once and at most once per attempt, one whose future failed at most once per attempt, and a record of
     * the outage (whose attempts all met it) never. The stream holds nothing else. @return a summary
     */
    private static String assertStoredAsTheFuturesSay(Map<String, Integer> stored, Ledger ledger,
            List<String> succeeded, List<String> stall) {
        int storedOnce = 0;
        int storedMore = 0;
        int failedButStored = 0;
        for (Map.Entry<String, CompletableFuture<RecordResult>> e : ledger.futures.entrySet()) {
            String data = e.getKey();
            int copies = stored.getOrDefault(data, 0);
            int attempts;
            if (e.getValue().isCompletedExceptionally()) {
                attempts = assertInstanceOf(RecordFailedException.class, failureOf(e.getValue())).attempts().size();
                failedButStored += copies > 0 ? 1 : 0;
            } else {
                attempts = e.getValue().join().attempts().size();
                assertTrue(copies >= 1, "stored record " + data + " is not in the stream");
                if (copies == 1) {
                    storedOnce++;
                } else {
                    storedMore++;
                }
            }
            assertTrue(copies <= attempts, data + " stored " + copies + " times in " + attempts + " attempts");
        }
        for (String s : stall) {
            assertEquals(0, stored.getOrDefault(s, 0), "a record added during the outage is in the stream: " + s);
        }
        for (String s : stored.keySet()) {
            assertTrue(ledger.futures.containsKey(s), "the stream holds a record nobody added: " + s);
        }
        assertEquals(succeeded.size(), storedOnce + storedMore);
        return String.format("stream holds %d user records: %d succeeded stored once, %d succeeded stored more than"
                + " once (an attempt timed out after storing), %d failed but stored by a timed-out attempt",
                stored.size(), storedOnce, storedMore, failedButStored);
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
}
