package io.purekinesis.producer.internal;

import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.RecordResult;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One accepted user record on its way through the pipeline. Its outcome is decided exactly once
 * ({@link #markDone()}, a compare-and-set); whoever wins completes the future and releases the budget.
 */
public final class UserRecord {

    private static final VarHandle DONE;

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(UserRecord.class, "done", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String stream;
    private final String partitionKey;
    private final String explicitHashKey;
    /**
     * The user's data, or, once the record is packed into an aggregate, the {@link KinesisEntry} holding it: the
     * aggregate already has the bytes, so the user's array is let go (half the memory of a buffered small record)
     * and restored from the aggregate only if the record must be dead-lettered or resent.
     */
    private volatile Object payload;
    private final long hashHi;
    private final long hashLo;
    private final long arrivalMillis;
    private final long expiryMillis;
    private final int sizeBytes;
    private final CompletableFuture<RecordResult> future = new CompletableFuture<>();
    /**
     * Attempts of earlier Kinesis records that carried this record (only after a wrong-shard reroute). Written by
     * the sender thread before the record is queued again, so the queue hand-off publishes it.
     */
    private volatile List<Attempt> priorAttempts;
    @SuppressWarnings("unused") // through DONE
    private volatile int done;

    public UserRecord(String stream, String partitionKey, String explicitHashKey, byte[] data, long hashHi,
            long hashLo, long arrivalMillis, long expiryMillis, int sizeBytes) {
        this.stream = stream;
        this.partitionKey = partitionKey;
        this.explicitHashKey = explicitHashKey;
        this.payload = data;
        this.hashHi = hashHi;
        this.hashLo = hashLo;
        this.arrivalMillis = arrivalMillis;
        this.expiryMillis = expiryMillis;
        this.sizeBytes = sizeBytes;
    }

    public String stream() {
        return stream;
    }

    public String partitionKey() {
        return partitionKey;
    }

    /** The user's explicit hash key, or null. */
    public String explicitHashKey() {
        return explicitHashKey;
    }

    /** The data (for a record packed into an aggregate, an equal copy decoded from it). */
    public byte[] data() {
        Object p = payload;
        if (p instanceof byte[] bytes) {
            return bytes;
        }
        // Not re-read from the field: a resent record may meanwhile have been packed into another aggregate.
        return ((KinesisEntry) p).restoreData(this);
    }

    /** Lets go of the user's array: {@code aggregate} holds the bytes (sender or user thread, at seal). */
    void releaseDataTo(KinesisEntry aggregate) {
        payload = aggregate;
    }

    /** Called by {@link KinesisEntry#restoreData} under the entry's lock: only while {@code from} holds the data. */
    void restoreData(byte[] data, KinesisEntry from) {
        if (payload == from) {
            payload = data;
        }
    }

    /** High 64 bits of the effective hash key, computed once at {@code add}. */
    public long hashHi() {
        return hashHi;
    }

    /** Low 64 bits of the effective hash key. */
    public long hashLo() {
        return hashLo;
    }

    /** The effective hash key as a number (allocates: not for the hot path). */
    public BigInteger hashKey() {
        return HashKey128.toBigInteger(hashHi, hashLo);
    }

    public long arrivalMillis() {
        return arrivalMillis;
    }

    public long expiryMillis() {
        return expiryMillis;
    }

    /** Data plus partition key UTF-8 bytes: what Kinesis counts and what the budget reserved. */
    public int sizeBytes() {
        return sizeBytes;
    }

    public CompletableFuture<RecordResult> future() {
        return future;
    }

    /** True once for the caller that decides this record's outcome. */
    public boolean markDone() {
        return DONE.compareAndSet(this, 0, 1);
    }

    public boolean isDone() {
        return done != 0;
    }

    public void addPriorAttempts(List<Attempt> attempts) {
        List<Attempt> all = new ArrayList<>(attempts.size() + (priorAttempts == null ? 0 : priorAttempts.size()));
        if (priorAttempts != null) {
            all.addAll(priorAttempts);
        }
        all.addAll(attempts);
        priorAttempts = List.copyOf(all);
    }

    /** Earlier attempts (if any) followed by {@code current}. */
    public List<Attempt> attemptsWith(List<Attempt> current) {
        List<Attempt> prior = priorAttempts;
        if (prior == null) {
            return current;
        }
        List<Attempt> all = new ArrayList<>(prior);
        all.addAll(current);
        return List.copyOf(all);
    }
}
