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
 * One accepted user record on its way through the pipeline, and the future {@code add} returned for it: one
 * object per outstanding record instead of two (a million outstanding records are most of the producer's heap).
 * Its outcome is decided exactly once ({@link #markDone()}, a compare-and-set, independent of the future's own
 * state, which the user may change); whoever wins completes the future and releases the budget.
 *
 * <p>Users may keep the future long after completion: {@link #releasePayload()} drops the data (or the aggregate
 * holding it) once the outcome is decided, so a kept future retains only its result and the user's own key
 * strings. Decided records are never sent or packed again, so nothing reads the data afterwards.
 */
public final class UserRecord extends CompletableFuture<RecordResult> {

    private static final VarHandle STATE;
    private static final VarHandle PAYLOAD;
    /** The sign bit of {@link #state}: set once the outcome is decided. */
    private static final int DECIDED = Integer.MIN_VALUE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(UserRecord.class, "state", int.class);
            PAYLOAD = lookup.findVarHandle(UserRecord.class, "payload", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String partitionKey;
    private final String explicitHashKey;
    /**
     * The user's data, or, once the record is packed into an aggregate, the {@link KinesisEntry} holding it: the
     * aggregate already has the bytes, so the user's array is let go (half the memory of a buffered small record)
     * and restored from the aggregate only if the record must be dead-lettered or resent. Null once decided.
     */
    private volatile Object payload;
    private final long hashHi;
    private final long hashLo;
    /** The TTL deadline; the arrival time is not kept (it is this minus the TTL, see {@link #arrivalMillis}). */
    private final long expiryMillis;
    /**
     * {@link #sizeBytes()} (at most 1 MiB, so the sign bit is free) plus the {@link #DECIDED} bit: one field, so
     * that with the future's own two fields the record takes 64 bytes with compressed oops (no stream field
     * either: the pipeline knows it).
     */
    private volatile int state;
    /**
     * Attempts of earlier Kinesis records that carried this record (only after a wrong-shard reroute). Written by
     * the sender thread before the record is queued again, so the queue hand-off publishes it.
     */
    private volatile List<Attempt> priorAttempts;

    /** @param sizeBytes data plus partition key UTF-8 bytes (not negative: the sign bit is {@link #DECIDED}) */
    public UserRecord(String partitionKey, String explicitHashKey, byte[] data, long hashHi, long hashLo,
            long expiryMillis, int sizeBytes) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must not be negative: " + sizeBytes);
        }
        this.partitionKey = partitionKey;
        this.explicitHashKey = explicitHashKey;
        this.payload = data;
        this.hashHi = hashHi;
        this.hashLo = hashLo;
        this.expiryMillis = expiryMillis;
        this.state = sizeBytes;
    }

    public String partitionKey() {
        return partitionKey;
    }

    /** The user's explicit hash key, or null. */
    public String explicitHashKey() {
        return explicitHashKey;
    }

    /**
     * The data (for a record packed into an aggregate, an equal copy decoded from it).
     *
     * @throws IllegalStateException once the record's outcome was decided and its data released
     */
    public byte[] data() {
        Object p = payload;
        if (p instanceof byte[] bytes) {
            return bytes;
        }
        if (p == null) {
            throw new IllegalStateException("the record's outcome is decided; its data was released");
        }
        // Not re-read from the field: a resent record may meanwhile have been packed into another aggregate.
        return ((KinesisEntry) p).restoreData(this);
    }

    /** Lets go of the user's array: {@code aggregate} holds the bytes (sender or user thread, at seal). */
    void releaseDataTo(KinesisEntry aggregate) {
        payload = aggregate;
    }

    /**
     * Called by {@link KinesisEntry#restoreData} under the entry's lock: only while {@code from} holds the data
     * (a compare-and-set, so a record released meanwhile stays released).
     */
    void restoreData(byte[] data, KinesisEntry from) {
        PAYLOAD.compareAndSet(this, from, data);
    }

    /**
     * After the outcome is decided and the future completed: the future may outlive the pipeline in the user's
     * hands, and must not keep the data (or a whole aggregate and its other records) alive.
     */
    void releasePayload() {
        payload = null;
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

    /** When {@code add} accepted the record, given the producer's TTL (derived, to keep the record small). */
    public long arrivalMillis(long ttlMillis) {
        return expiryMillis - ttlMillis;
    }

    public long expiryMillis() {
        return expiryMillis;
    }

    /** Data plus partition key UTF-8 bytes: what Kinesis counts and what the budget reserved. */
    public int sizeBytes() {
        return state & ~DECIDED;
    }

    /** The future handed to the user: this record itself. */
    public CompletableFuture<RecordResult> future() {
        return this;
    }

    /** True once for the caller that decides this record's outcome. */
    public boolean markDone() {
        int size = sizeBytes(); // never changes: the compare-and-set fails only if another caller decided
        return STATE.compareAndSet(this, size, size | DECIDED);
    }

    /**
     * Whether the outcome was decided ({@link #markDone()}); not {@link #isDone()}, which is the future's state
     * and may lag behind (completion runs later on the callback executor).
     */
    public boolean isDecided() {
        return (state & DECIDED) != 0;
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
