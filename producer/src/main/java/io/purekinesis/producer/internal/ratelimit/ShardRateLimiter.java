package io.purekinesis.producer.internal.ratelimit;

/**
 * Client-side limit of one shard: {@code rateLimit}% of Kinesis' 1,000 records/s and 1 MiB/s, as two token
 * buckets counting Kinesis records (entries) and their bytes. Not thread-safe (used under the collector's lock).
 */
public final class ShardRateLimiter {

    static final double KINESIS_RECORDS_PER_SECOND = 1000;
    static final double KINESIS_BYTES_PER_SECOND = 1024 * 1024;

    private final TokenBucket records;
    private final TokenBucket bytes;

    public ShardRateLimiter(int ratePercent, long nowMillis) {
        this.records = new TokenBucket(KINESIS_RECORDS_PER_SECOND * ratePercent / 100.0, nowMillis);
        this.bytes = new TokenBucket(KINESIS_BYTES_PER_SECOND * ratePercent / 100.0, nowMillis);
    }

    /** Takes tokens for one entry of {@code entryBytes} if both buckets allow it. */
    public boolean tryAcquire(int entryBytes, long nowMillis) {
        if (records.canTake(1, nowMillis) && bytes.canTake(entryBytes, nowMillis)) {
            records.take(1);
            bytes.take(entryBytes);
            return true;
        }
        return false;
    }

    /** Milliseconds until an entry of {@code entryBytes} may go. */
    public long millisUntilAvailable(int entryBytes, long nowMillis) {
        return Math.max(records.millisUntil(1, nowMillis), bytes.millisUntil(entryBytes, nowMillis));
    }
}
