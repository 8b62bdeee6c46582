package io.purekinesis.samples;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the local demo produced, had acknowledged and consumed, record by record. Record {@code n} has key
 * {@code n % keys} and, within its key, sequence number {@code n / keys}; its data says so in text
 * ({@code key-17 seq-42 n-8417 ...}), so the consumer side needs nothing but the data. Thread-safe.
 */
final class Ledger {

    private static final int MAX_EXAMPLES = 5;

    private final int records;
    private final int keys;
    private final AtomicIntegerArray acknowledged;
    private final AtomicIntegerArray deliveries;
    /** 1 when the producer had to resend the record: its aggregate landed in another shard than predicted. */
    private final AtomicIntegerArray resent;
    private final ConcurrentLinkedQueue<Integer> lateRecords = new ConcurrentLinkedQueue<>();
    /** Highest sequence number consumed per key, -1 before the first. */
    private final AtomicIntegerArray lastSeq;
    private final AtomicLong produced = new AtomicLong();
    private final AtomicLong acknowledgedCount = new AtomicLong();
    private final AtomicLong failedFutures = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong deliveryCount = new AtomicLong();
    private final AtomicLong orderViolations = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicInteger examples = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

    Ledger(int records, int keys) {
        this.records = records;
        this.keys = keys;
        this.acknowledged = new AtomicIntegerArray(records);
        this.deliveries = new AtomicIntegerArray(records);
        this.resent = new AtomicIntegerArray(records);
        this.lastSeq = new AtomicIntegerArray(keys);
        for (int k = 0; k < keys; k++) {
            lastSeq.set(k, -1);
        }
    }

    int records() {
        return records;
    }

    int keys() {
        return keys;
    }

    static String partitionKey(int key) {
        return "key-" + key;
    }

    String partitionKeyOf(int n) {
        return partitionKey(n % keys);
    }

    /** Record {@code n}'s data: {@code key-K seq-S n-N } padded with dots to {@code size} bytes. */
    byte[] payload(int n, int size) {
        byte[] head = (partitionKeyOf(n) + " seq-" + (n / keys) + " n-" + n + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[Math.max(size, head.length)];
        java.util.Arrays.fill(data, (byte) '.');
        System.arraycopy(head, 0, data, 0, head.length);
        return data;
    }

    void produced() {
        produced.incrementAndGet();
    }

    /** Record {@code n}'s future succeeded; {@code wasResent} if the producer sent it again after a wrong shard. */
    void acknowledged(int n, boolean wasResent) {
        if (wasResent) {
            resent.set(n, 1);
        }
        if (acknowledged.compareAndSet(n, 0, 1)) {
            acknowledgedCount.incrementAndGet();
        }
    }

    void failed() {
        failedFutures.incrementAndGet();
    }

    void deadLettered() {
        deadLettered.incrementAndGet();
    }

    void problem(String what) {
        problems.add(what);
    }

    /** One delivery to a record processor. */
    void consumed(String partitionKey, byte[] data) {
        deliveryCount.incrementAndGet();
        int n = parse(data);
        if (n < 0 || n >= records || !partitionKeyOf(n).equals(partitionKey)) {
            unreadable.incrementAndGet();
            example("unexpected record: partition key " + partitionKey + ", data "
                    + new String(data, 0, Math.min(40, data.length), StandardCharsets.US_ASCII));
            return;
        }
        if (deliveries.getAndIncrement(n) > 0) {
            return; // a re-delivery: a duplicate, and allowed to be behind
        }
        consumed.incrementAndGet();
        int key = n % keys;
        int seq = n / keys;
        int previous = lastSeq.getAndAccumulate(key, seq, Math::max);
        if (seq < previous) {
            orderViolations.incrementAndGet();
            lateRecords.add(n);
            example("order: " + partitionKey(key) + " seq " + seq + " consumed after seq " + previous);
        }
    }

    private void example(String what) {
        if (examples.incrementAndGet() <= MAX_EXAMPLES) {
            problems.add(what);
        }
    }

    private static int parse(byte[] data) {
        String text = new String(data, 0, Math.min(64, data.length), StandardCharsets.US_ASCII);
        int at = text.indexOf(" n-");
        if (at < 0) {
            return -1;
        }
        int end = text.indexOf(' ', at + 3);
        try {
            return Integer.parseInt(text.substring(at + 3, end < 0 ? text.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    long producedCount() {
        return produced.get();
    }

    long acknowledgedCount() {
        return acknowledgedCount.get();
    }

    long consumedCount() {
        return consumed.get();
    }

    long deliveryCount() {
        return deliveryCount.get();
    }

    /** Acknowledged records not consumed (yet). */
    long missing() {
        long missing = 0;
        for (int n = 0; n < records; n++) {
            if (acknowledged.get(n) == 1 && deliveries.get(n) == 0) {
                missing++;
            }
        }
        return missing;
    }

    /** Records consumed that the producer never acknowledged (e.g. stored, but failed by a close deadline). */
    long consumedNotAcknowledged() {
        long count = 0;
        for (int n = 0; n < records; n++) {
            if (acknowledged.get(n) == 0 && deliveries.get(n) > 0) {
                count++;
            }
        }
        return count;
    }

    long resentCount() {
        long count = 0;
        for (int n = 0; n < records; n++) {
            count += resent.get(n);
        }
        return count;
    }

    Reconciliation reconcile() {
        long lateAfterResend = lateRecords.stream().filter(n -> resent.get(n) == 1).count();
        List<String> all = new ArrayList<>(problems);
        if (failedFutures.get() > 0) {
            all.add(failedFutures.get() + " producer futures failed");
        }
        if (unreadable.get() > 0) {
            all.add(unreadable.get() + " consumed records were not the demo's");
        }
        return new Reconciliation(produced.get(), acknowledgedCount.get(), consumed.get(),
                deliveryCount.get() - unreadable.get() - consumed.get(), deadLettered.get(), missing(),
                orderViolations.get(), lateAfterResend, resentCount(), consumedNotAcknowledged(), List.copyOf(all));
    }

    /**
     * The demo's outcome. {@code consumed} counts distinct records, {@code duplicates} the extra deliveries,
     * {@code lost} records acknowledged but never consumed. {@code orderViolations} counts records consumed after
     * a later record of their key; {@code violationsAfterResend} those of them the producer had resent (an aggregate
     * predicted for a shard that was split landed in the child not covering them, so they went out again, possibly
     * behind newer records of their key); {@code resent} all records the producer resent that way.
     */
    record Reconciliation(long produced, long acknowledged, long consumed, long duplicates, long deadLettered,
                          long lost, long orderViolations, long violationsAfterResend, long resent,
                          long consumedNotAcknowledged, List<String> problems) {

        /** Nothing lost, nothing dead-lettered, every record acknowledged, every key in order, no other problem. */
        boolean ok() {
            return lost == 0 && deadLettered == 0 && acknowledged == produced && orderViolations == 0
                    && problems.isEmpty();
        }

        /** The demo's last line. */
        String resultLine() {
            return "RESULT produced=" + produced + " acknowledged=" + acknowledged + " consumed=" + consumed
                    + " duplicates=" + duplicates + " deadLettered=" + deadLettered + " lost=" + lost;
        }
    }
}
