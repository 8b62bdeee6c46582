package io.purekinesis.producer.internal;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.producer.Attempt;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * One PutRecords entry: a plain user record, or an aggregate of user records predicted for the same shard.
 * Built once and resent as-is on retry. Mutable fields are touched by one thread at a time, handed over through
 * the collector's lock or the in-flight call. The SDK's entry object (with the decimal hash key string) is made
 * only when a call is built ({@link #sdkEntry()}): queued entries, up to one per outstanding record when not
 * aggregating, stay small.
 */
public final class KinesisEntry {

    /** KPL stores every aggregated record under this partition key. */
    public static final String AGGREGATE_PARTITION_KEY = "a";

    private final String stream;
    private final String shardId;
    private final List<UserRecord> records;
    private final boolean aggregated;
    /** The plain record's data or the encoded aggregate. */
    private final byte[] data;
    private final int sizeBytes;
    private final long sendDeadlineMillis;
    private final long expiryMillis;
    private final long oldestArrivalMillis;
    /**
     * Appended by the thread handling a call's answer, read meanwhile by {@code close} when it fails what is in
     * flight: an immutable list replaced on append, so readers always see a consistent list. Not a
     * CopyOnWriteArrayList: that costs three objects per entry up front, i.e. per record when not aggregating.
     */
    private volatile List<Attempt> attempts = List.of();
    private long notBeforeMillis;
    /** Set once, before the entry is queued: see {@link #ready()}. */
    private boolean ready;

    private KinesisEntry(EntrySettings settings, String shardId, List<UserRecord> records, boolean aggregated,
            byte[] data, int partitionKeyBytes) {
        this.stream = settings.stream();
        this.shardId = shardId;
        this.records = records;
        this.aggregated = aggregated;
        this.data = data;
        this.sizeBytes = data.length + partitionKeyBytes;
        long expiry = Long.MAX_VALUE;
        for (int i = 0; i < records.size(); i++) {
            expiry = Math.min(expiry, records.get(i).expiryMillis());
        }
        // Every record of a producer has the same TTL: the earliest expiry is the oldest arrival's.
        long oldest = expiry - settings.ttlMillis();
        this.oldestArrivalMillis = oldest;
        this.sendDeadlineMillis = saturatedAdd(oldest, settings.maxBufferedMillis());
        this.expiryMillis = expiry;
    }

    /**
     * A user record sent as-is, routed to its predicted shard by its effective hash key (sent as
     * {@code ExplicitHashKey}, as KPL does).
     */
    public static KinesisEntry plain(EntrySettings settings, UserRecord record, String shardId) {
        byte[] data = record.data();
        return new KinesisEntry(settings, shardId, List.of(record), false, data, record.sizeBytes() - data.length);
    }

    /**
     * An aggregated record, routed by its first user record's effective hash key. The records let go of their data
     * arrays: from now on this entry's bytes hold it (see {@link #restoreData()}).
     */
    public static KinesisEntry aggregate(EntrySettings settings, List<UserRecord> records, byte[] data,
            String shardId) {
        KinesisEntry entry = new KinesisEntry(settings, shardId, records, true, data,
                AGGREGATE_PARTITION_KEY.length());
        for (UserRecord r : records) {
            r.releaseDataTo(entry);
        }
        return entry;
    }

    /**
     * Gives each record of an aggregate its data back, decoded from the aggregate (rare: failures, resends).
     *
     * @return the data of {@code wanted}, one of this entry's records
     */
    synchronized byte[] restoreData(UserRecord wanted) {
        List<DecodedRecord> decoded = AggregateDecoder.decode(data, partitionKey(), explicitHashKey());
        byte[] result = null;
        for (int i = 0; i < records.size(); i++) {
            UserRecord r = records.get(i);
            byte[] restored = decoded.get(i).data();
            r.restoreData(restored, this);
            if (r == wanted) {
                result = restored;
            }
        }
        if (result == null) {
            throw new IllegalArgumentException("record is not part of this aggregate");
        }
        return result;
    }

    public String stream() {
        return stream;
    }

    /** The predicted shard; null when the stream's shard map was not known. */
    public String shardId() {
        return shardId;
    }

    public List<UserRecord> records() {
        return records;
    }

    public boolean aggregated() {
        return aggregated;
    }

    /**
     * The entry as sent, made anew for each call: the partition key ({@code a} for an aggregate) and, as
     * {@code ExplicitHashKey}, the effective hash key of the (first) user record, so it lands on the predicted shard.
     */
    public PutRecordsRequestEntry sdkEntry() {
        return PutRecordsRequestEntry.builder().partitionKey(partitionKey()).explicitHashKey(explicitHashKey())
                .data(SdkBytes.fromByteArrayUnsafe(data)).build();
    }

    private String partitionKey() {
        return aggregated ? AGGREGATE_PARTITION_KEY : records.get(0).partitionKey();
    }

    private String explicitHashKey() {
        UserRecord first = records.get(0);
        return HashKey128.toDecimalString(first.hashHi(), first.hashLo());
    }

    /** Data plus partition key bytes, as Kinesis counts them against its limits. */
    public int sizeBytes() {
        return sizeBytes;
    }

    /**
     * Marks a full entry (an aggregate sealed because the next record did not fit, or a record too large to share
     * one): waiting cannot make it any bigger, so it goes in the next call its shard may send.
     */
    public KinesisEntry markReady() {
        ready = true;
        return this;
    }

    /** See {@link #markReady()}. */
    public boolean ready() {
        return ready;
    }

    /** When the oldest user record inside has waited {@code recordMaxBufferedTime}. */
    public long sendDeadlineMillis() {
        return sendDeadlineMillis;
    }

    /** The earliest TTL deadline of the records inside. */
    public long expiryMillis() {
        return expiryMillis;
    }

    public long oldestArrivalMillis() {
        return oldestArrivalMillis;
    }

    public List<Attempt> attempts() {
        return attempts;
    }

    /** One thread at a time appends (the one handling this entry's answer). */
    public synchronized void addAttempt(Attempt attempt) {
        List<Attempt> next = new ArrayList<>(attempts.size() + 1);
        next.addAll(attempts);
        next.add(attempt);
        attempts = List.copyOf(next);
    }

    /** Earliest time of the next attempt (backoff). */
    public long notBeforeMillis() {
        return notBeforeMillis;
    }

    public void notBeforeMillis(long value) {
        notBeforeMillis = value;
    }

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
