package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.RecordExpiredException;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/** Helpers of the stalled-endpoint tests: record tracking, exact-once accounting, waiting, reading back. */
final class StalledEndpointSupport {

    private StalledEndpointSupport() {
    }

    /** Waits until the condition holds; fails naming {@code what} after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Await.until(what, timeout, condition);
    }

    /** Every user record in the stream, de-aggregated, as data strings, with how often each is stored. */
    static Map<String, Integer> storedUserRecords(KinesisAsyncClient kinesis, String stream) {
        Map<String, Integer> stored = new TreeMap<>();
        for (Streams.ShardRecord r : Streams.readAll(kinesis, stream, Duration.ofSeconds(60))) {
            for (DecodedRecord d : AggregateDecoder.decode(r.data(), r.partitionKey(), null)) {
                stored.merge(new String(d.data(), StandardCharsets.UTF_8), 1, Integer::sum);
            }
        }
        return stored;
    }

    /**
     * Tracks every record a test adds: its future, the dead-letter calls for it, and the outstanding counters of the
     * producer sampled after each add and by {@link #sample}.
     */
    static final class Ledger {
        final Map<String, CompletableFuture<RecordResult>> futures = new ConcurrentHashMap<>();
        final Map<String, List<FailedRecord>> deadLetters = new ConcurrentHashMap<>();
        final AtomicInteger deadLetterCalls = new AtomicInteger();
        final AtomicLong maxRecords = new AtomicLong();
        final AtomicLong maxBytes = new AtomicLong();
        private final AtomicInteger counter = new AtomicInteger();

        /** The dead-letter handler to configure. */
        void deadLetter(FailedRecord f) {
            deadLetterCalls.incrementAndGet();
            deadLetters.computeIfAbsent(new String(f.data(), StandardCharsets.UTF_8),
                    k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(f);
        }

        /** A unique data string of about {@code size} bytes, starting with {@code phase}. */
        String nextData(String phase, int size) {
            String id = phase + "-" + counter.incrementAndGet() + "-";
            StringBuilder s = new StringBuilder(size).append(id);
            while (s.length() < size) {
                s.append('x');
            }
            return s.toString();
        }

        /** Adds through the producer; on success the future is tracked (an exception from add is rethrown). */
        CompletableFuture<RecordResult> add(KinesisProducer producer, String stream, String data) {
            CompletableFuture<RecordResult> f = producer.add(stream, "pk-" + data.hashCode(),
                    data.getBytes(StandardCharsets.UTF_8));
            futures.put(data, f);
            sample(producer);
            return f;
        }

        void sample(KinesisProducer producer) {
            maxRecords.accumulateAndGet(producer.outstandingRecords(), Math::max);
            maxBytes.accumulateAndGet(producer.outstandingBytes(), Math::max);
        }

        List<String> withPrefix(String prefix) {
            return futures.keySet().stream().filter(k -> k.startsWith(prefix + "-")).sorted().toList();
        }

        /**
         * Every tracked record ended exactly once: a successful future and no dead letter, or a failed future and
         * exactly one dead letter; no dead letter for a record never accepted.
         *
         * @return the data of the records that succeeded
         */
        List<String> assertEachAccountedForOnce() {
            List<String> succeeded = new ArrayList<>();
            for (Map.Entry<String, CompletableFuture<RecordResult>> e : futures.entrySet()) {
                CompletableFuture<RecordResult> f = e.getValue();
                assertTrue(f.isDone(), "future of " + e.getKey() + " never completed");
                List<FailedRecord> dl = deadLetters.getOrDefault(e.getKey(), List.of());
                if (f.isCompletedExceptionally()) {
                    assertEquals(1, dl.size(), "dead letters of failed record " + e.getKey());
                } else {
                    assertEquals(0, dl.size(), "dead letters of stored record " + e.getKey());
                    succeeded.add(e.getKey());
                }
            }
            for (String dead : deadLetters.keySet()) {
                assertTrue(futures.containsKey(dead), "dead letter for a record never accepted: " + dead);
            }
            return succeeded;
        }
    }

    /** The exception a failed future completed with. */
    static Throwable failureOf(CompletableFuture<?> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("future succeeded");
    }

    /**
     * Checks the stall records: each failed with {@link RecordExpiredException} (TTL), and its dead letter carries
     * the same attempts and last error as the exception. @return a summary line
     */
    static String assertExpiredAndDeadLettered(Ledger ledger, List<String> stallRecords, int expectedAttemptsAtLeast) {
        Map<String, Integer> lastErrors = new TreeMap<>();
        int minAttempts = Integer.MAX_VALUE;
        int maxAttempts = 0;
        long totalAttempts = 0;
        for (String data : stallRecords) {
            CompletableFuture<RecordResult> f = ledger.futures.get(data);
            Throwable t = failureOf(f);
            assertTrue(t instanceof RecordExpiredException, data + ": " + t);
            RecordFailedException e = (RecordFailedException) t;
            assertEquals(io.purekinesis.producer.FailureReason.TTL_EXPIRED, e.reason(), data);
            assertTrue(e.getMessage().contains("TTL_EXPIRED"), e.getMessage());
            FailedRecord dl = ledger.deadLetters.get(data).get(0);
            assertEquals(io.purekinesis.producer.FailureReason.TTL_EXPIRED, dl.reason());
            assertEquals(e.attempts().size(), dl.attempts().size(), data);
            assertEquals(e.errorCode(), dl.lastErrorCode(), data);
            assertEquals(e.errorMessage(), dl.lastErrorMessage(), data);
            int n = dl.attempts().size();
            assertTrue(n >= expectedAttemptsAtLeast, data + " had " + n + " attempts: " + dl);
            if (n > 0) {
                assertEquals(dl.attempts().get(n - 1).errorCode(), dl.lastErrorCode(), data);
                assertTrue(dl.attempts().stream().noneMatch(a -> a.success()), data);
            }
            lastErrors.merge(dl.lastErrorCode() + ": " + dl.lastErrorMessage(), 1, Integer::sum);
            minAttempts = Math.min(minAttempts, n);
            maxAttempts = Math.max(maxAttempts, n);
            totalAttempts += n;
        }
        return "attempts per expired record min " + (stallRecords.isEmpty() ? 0 : minAttempts) + " / avg "
                + (stallRecords.isEmpty() ? 0 : String.format("%.1f", (double) totalAttempts / stallRecords.size()))
                + " / max " + maxAttempts + "; last errors " + lastErrors;
    }
}
