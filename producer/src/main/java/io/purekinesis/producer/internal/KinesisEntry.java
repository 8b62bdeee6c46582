package io.purekinesis.producer.internal;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.producer.Attempt;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * One PutRecords entry: a plain user record, or an aggregate of user records predicted for the same shard.
 * Built once and resent as-is on retry. Mutable fields are touched by one thread at a time, handed over through
 * the collector's lock or the in-flight call.
 */
public final class KinesisEntry {

    /** KPL stores every aggregated record under this partition key. */
    public static final String AGGREGATE_PARTITION_KEY = "a";

    private final String stream;
    private final String shardId;
    private final List<UserRecord> records;
    private final boolean aggregated;
    private final PutRecordsRequestEntry sdkEntry;
    private final int sizeBytes;
    private final long sendDeadlineMillis;
    private final long expiryMillis;
    private final long oldestArrivalMillis;
    /**
     * Appended by the thread handling a call's answer, read meanwhile by {@code close} when it fails what is in
     * flight: copy-on-write, so readers always see a consistent list (attempts are few, reads are many).
     */
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private long notBeforeMillis;

    private KinesisEntry(String stream, String shardId, List<UserRecord> records, boolean aggregated, byte[] data,
            String partitionKey, int partitionKeyBytes, String explicitHashKey, long maxBufferedMillis) {
        this.stream = stream;
        this.shardId = shardId;
        this.records = records;
        this.aggregated = aggregated;
        this.sdkEntry = PutRecordsRequestEntry.builder().partitionKey(partitionKey).explicitHashKey(explicitHashKey)
                .data(SdkBytes.fromByteArrayUnsafe(data)).build();
        this.sizeBytes = data.length + partitionKeyBytes;
        long oldest = Long.MAX_VALUE;
        long expiry = Long.MAX_VALUE;
        for (UserRecord r : records) {
            oldest = Math.min(oldest, r.arrivalMillis());
            expiry = Math.min(expiry, r.expiryMillis());
        }
        this.oldestArrivalMillis = oldest;
        this.sendDeadlineMillis = saturatedAdd(oldest, maxBufferedMillis);
        this.expiryMillis = expiry;
    }

    /** A user record sent as-is, routed to its predicted shard by its effective hash key. */
    public static KinesisEntry plain(UserRecord record, String shardId, long maxBufferedMillis) {
        return new KinesisEntry(record.stream(), shardId, List.of(record), false, record.data(),
                record.partitionKey(), record.sizeBytes() - record.data().length, record.hashKey().toString(),
                maxBufferedMillis);
    }

    /**
     * An aggregated record, routed by its first user record's effective hash key. The records let go of their data
     * arrays: from now on this entry's bytes hold it (see {@link #restoreData()}).
     */
    public static KinesisEntry aggregate(List<UserRecord> records, byte[] data, String shardId,
            long maxBufferedMillis) {
        UserRecord first = records.get(0);
        KinesisEntry entry = new KinesisEntry(first.stream(), shardId, records, true, data, AGGREGATE_PARTITION_KEY,
                1, first.hashKey().toString(), maxBufferedMillis);
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
        List<DecodedRecord> decoded = AggregateDecoder.decode(sdkEntry.data().asByteArray(),
                sdkEntry.partitionKey(), sdkEntry.explicitHashKey());
        byte[] result = null;
        for (int i = 0; i < records.size(); i++) {
            UserRecord r = records.get(i);
            byte[] data = decoded.get(i).data();
            r.restoreData(data, this);
            if (r == wanted) {
                result = data;
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

    public PutRecordsRequestEntry sdkEntry() {
        return sdkEntry;
    }

    /** Data plus partition key bytes, as Kinesis counts them against its limits. */
    public int sizeBytes() {
        return sizeBytes;
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

    public void addAttempt(Attempt attempt) {
        attempts.add(attempt);
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
