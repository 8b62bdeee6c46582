package io.purekinesis.systemtests;

import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.RecordResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@link Workload} produced and what its workers processed, recorded as it happens (thread-safe), and
 * {@link #reconcile() reconciled} at the end.
 *
 * <p>Every record is identified by its payload: {@code key=<partition key>;seq=<n>;} followed by padding, where
 * {@code n} counts from 0 per partition key in {@code add} order ({@link #payload(String, long, int)}). The producer
 * side records each {@code add}, then its future's outcome (acknowledged with a shard and sequence number, or failed)
 * and every record handed to the dead-letter handler. The consumer side records each delivery to a processor, in
 * the order each key's deliveries happened.
 */
public final class Ledger {

    private static final Pattern PAYLOAD = Pattern.compile("^key=([^;]+);seq=(\\d+);");

    /** One record's identity. */
    public record Id(String key, long seq) {
        @Override
        public String toString() {
            return key + "#" + seq;
        }
    }

    /** One delivery of a record to a processor. */
    public record Delivery(Id id, String worker, String shardId, String sequenceNumber, long subSequenceNumber) {
    }

    private final Set<Id> added = ConcurrentHashMap.newKeySet();
    private final Map<Id, RecordResult> acknowledged = new ConcurrentHashMap<>();
    private final Map<Id, Throwable> failed = new ConcurrentHashMap<>();
    private final Map<Id, List<FailedRecord>> deadLettered = new ConcurrentHashMap<>();
    /** Deliveries per key, in the order they happened. */
    private final Map<String, List<Delivery>> deliveries = new ConcurrentHashMap<>();
    private final AtomicLong deliveryCount = new AtomicLong();
    private final Map<String, LongAdder> deliveriesPerWorker = new ConcurrentHashMap<>();
    private final AtomicLong unparsableCount = new AtomicLong();
    /** When each shard's first record was delivered (System.nanoTime), for lineage checks. */
    private final Map<String, Long> firstDeliveryNanos = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> deliveriesPerShard = new ConcurrentHashMap<>();
    /** Per key, the distinct seqs delivered: for {@link #allAcknowledgedProcessed()} without a full reconcile. */
    private final Map<Id, Boolean> processed = new ConcurrentHashMap<>();

    /** The payload of record {@code seq} of {@code key}, padded with '.' to {@code size} bytes (at least the id). */
    public static byte[] payload(String key, long seq, int size) {
        StringBuilder s = new StringBuilder(size).append("key=").append(key).append(";seq=").append(seq).append(';');
        while (s.length() < size) {
            s.append('.');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The id in a payload written by {@link #payload(String, long, int)}, or null if it has none. */
    public static Id parse(byte[] data) {
        if (data == null) {
            return null; // a dead letter whose data could not be restored from its aggregate: counted as unparsable
        }
        int head = Math.min(data.length, 300);
        Matcher m = PAYLOAD.matcher(new String(data, 0, head, StandardCharsets.UTF_8));
        return m.find() ? new Id(m.group(1), Long.parseLong(m.group(2))) : null;
    }

    public void added(Id id) {
        added.add(id);
    }

    public void acknowledged(Id id, RecordResult result) {
        acknowledged.put(id, result);
    }

    public void failed(Id id, Throwable error) {
        failed.put(id, error);
    }

    /** From the producer's dead-letter handler. */
    public void deadLettered(FailedRecord record) {
        Id id = parse(record.data());
        if (id == null) {
            unparsableCount.incrementAndGet();
            return;
        }
        deadLettered.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(record);
    }

    /** From a processor (in this JVM or a child's output): one user record delivered. */
    public void delivered(byte[] data, String worker, String shardId, String sequenceNumber, long subSequence) {
        Id id = parse(data);
        if (id == null) {
            unparsableCount.incrementAndGet();
            return;
        }
        delivered(new Delivery(id, worker, shardId, sequenceNumber, subSequence));
    }

    public void delivered(Delivery delivery) {
        firstDeliveryNanos.putIfAbsent(delivery.shardId(), System.nanoTime());
        deliveriesPerShard.computeIfAbsent(delivery.shardId(), s -> new LongAdder()).increment();
        deliveries.compute(delivery.id().key(), (k, list) -> {
            List<Delivery> l = list == null ? new ArrayList<>() : list;
            l.add(delivery);
            return l;
        });
        processed.put(delivery.id(), Boolean.TRUE);
        deliveryCount.incrementAndGet();
        deliveriesPerWorker.computeIfAbsent(delivery.worker(), w -> new LongAdder()).increment();
    }

    /**
     * When the first record of each shard was delivered (System.nanoTime; for a child worker's deliveries, when its
     * output line was read, which is later).
     */
    public Map<String, Long> firstDeliveryNanos() {
        return Map.copyOf(firstDeliveryNanos);
    }

    /** Deliveries so far, per shard. */
    public Map<String, Long> deliveriesPerShard() {
        Map<String, Long> out = new TreeMap<>();
        deliveriesPerShard.forEach((shard, n) -> out.put(shard, n.sum()));
        return out;
    }

    public long addedCount() {
        return added.size();
    }

    public long acknowledgedCount() {
        return acknowledged.size();
    }

    /** Acknowledged records stored in this shard so far. */
    public long acknowledgedIn(String shardId) {
        return acknowledged.values().stream().filter(r -> r.shardId().equals(shardId)).count();
    }

    public long deliveryCount() {
        return deliveryCount.get();
    }

    /** Deliveries to this worker's processors so far. */
    public long deliveryCount(String worker) {
        LongAdder n = deliveriesPerWorker.get(worker);
        return n == null ? 0 : n.sum();
    }

    /** How many acknowledged records were not delivered yet. */
    public long acknowledgedNotProcessed() {
        long n = 0;
        for (Id id : acknowledged.keySet()) {
            if (!processed.containsKey(id)) {
                n++;
            }
        }
        return n;
    }

    /** Whether every record acknowledged so far was delivered at least once. */
    public boolean allAcknowledgedProcessed() {
        return acknowledgedNotProcessed() == 0;
    }

    /** Reconciles everything recorded so far; call once the producer is closed and the workers are stopped. */
    public Reconciliation reconcile() {
        Map<String, List<Delivery>> byKey = new TreeMap<>(deliveriesByKey());
        Map<Id, Delivery> seen = new HashMap<>();
        long duplicates = 0;
        List<String> duplicateSample = new ArrayList<>();
        List<String> orderViolations = new ArrayList<>();
        for (Map.Entry<String, List<Delivery>> e : byKey.entrySet()) {
            long max = -1;
            for (Delivery d : e.getValue()) {
                Delivery first = seen.putIfAbsent(d.id(), d);
                if (first != null) {
                    duplicates++;
                    if (duplicateSample.size() < 10) {
                        duplicateSample.add(d.id() + " first " + first.worker() + " " + first.shardId() + " "
                                + first.sequenceNumber() + "/" + first.subSequenceNumber() + ", again " + d.worker()
                                + " " + d.shardId() + " " + d.sequenceNumber() + "/" + d.subSequenceNumber());
                    }
                } else if (d.id().seq() < max) {
                    orderViolations.add(d.id() + " first delivered after " + e.getKey() + "#" + max + " (by "
                            + d.worker() + " from " + d.shardId() + ")");
                } else {
                    max = d.id().seq();
                }
            }
        }
        List<Id> missing = new ArrayList<>();
        for (Id id : acknowledged.keySet()) {
            if (!seen.containsKey(id)) {
                missing.add(id);
            }
        }
        List<Id> unknown = new ArrayList<>();
        List<Id> deadLetteredButDelivered = new ArrayList<>();
        for (Id id : seen.keySet()) {
            if (!added.contains(id)) {
                unknown.add(id);
            } else if (deadLettered.containsKey(id)) {
                deadLetteredButDelivered.add(id);
            }
        }
        List<Id> unresolved = new ArrayList<>();
        for (Id id : added) {
            if (!acknowledged.containsKey(id) && !failed.containsKey(id)) {
                unresolved.add(id);
            }
        }
        // The producer's contract: a failed future and a dead letter go together, once each.
        List<String> deadLetterMismatches = new ArrayList<>();
        for (Id id : failed.keySet()) {
            List<FailedRecord> letters = deadLettered.get(id);
            if (letters == null || letters.size() != 1) {
                deadLetterMismatches.add(id + " failed with " + failed.get(id) + " but was dead-lettered "
                        + (letters == null ? 0 : letters.size()) + " times");
            }
        }
        Map<String, Long> deadLetterCauses = new TreeMap<>();
        for (Map.Entry<Id, List<FailedRecord>> e : deadLettered.entrySet()) {
            if (!failed.containsKey(e.getKey())) {
                deadLetterMismatches.add(e.getKey() + " was dead-lettered but its future did not fail");
            }
            synchronized (e.getValue()) {
                for (FailedRecord r : e.getValue()) {
                    deadLetterCauses.merge(r.reason() + "/" + r.lastErrorCode(), 1L, Long::sum);
                }
            }
        }
        Map<String, Long> perWorker = new TreeMap<>();
        byKey.values().forEach(list -> list.forEach(d -> perWorker.merge(d.worker(), 1L, Long::sum)));
        return new Reconciliation(added.size(), acknowledged.size(), failed.size(), deadLettered.size(),
                deadLetterCauses, deliveryCount.get(), seen.size(), duplicates, duplicateSample, sample(missing), missing.size(),
                orderViolations, sample(unknown), unknown.size(), sample(deadLetteredButDelivered),
                deadLetteredButDelivered.size(), sample(unresolved), unresolved.size(), deadLetterMismatches,
                unparsableCount.get(), perWorker);
    }

    private static List<Id> sample(List<Id> ids) {
        return ids.subList(0, Math.min(ids.size(), 20));
    }

    /** For tests of the ledger itself and for debugging: deliveries per key. */
    Map<String, List<Delivery>> deliveriesByKey() {
        Map<String, List<Delivery>> copy = new HashMap<>();
        for (String key : deliveries.keySet()) {
            deliveries.computeIfPresent(key, (k, v) -> {
                copy.put(k, List.copyOf(v));
                return v;
            });
        }
        return copy;
    }
}
