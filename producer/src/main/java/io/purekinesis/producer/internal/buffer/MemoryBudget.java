package io.purekinesis.producer.internal.buffer;

import io.purekinesis.producer.BufferFullException;
import io.purekinesis.producer.KinesisProducerException;
import io.purekinesis.producer.ProducerClosedException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The producer's only memory budget: outstanding bytes and records, reserved by {@code add} before a record is
 * buffered and released once its outcome is decided, just before its future completes, so that an {@code add}
 * made from a completion callback finds the room the completed record held. Waiters are served oldest first (a
 * newcomer never takes room an older waiter is waiting for); {@link #close()} wakes them all. {@link #awaitEmpty}
 * also waits for completions in progress, so a flush returns only once every future has completed.
 */
public final class MemoryBudget {

    private final long maxBytes;
    private final long maxRecords;
    private final ReentrantLock lock = new ReentrantLock();
    private final Deque<Condition> waiters = new ArrayDeque<>();
    private final Condition empty = lock.newCondition();
    private long bytes;
    private long records;
    /** Records whose room was released and whose futures are being completed. */
    private long completing;
    private boolean closed;
    /** An add found no room at once since {@link #takeRanOut} last looked (or someone still waits). */
    private volatile boolean ranOut;
    private volatile Runnable onRanOut = () -> { };
    /** What closed the budget, for the exceptions of adds refused afterwards. */
    private String closedBy = "producer is closed";

    public MemoryBudget(long maxBytes, long maxRecords) {
        this.maxBytes = maxBytes;
        this.maxRecords = maxRecords;
    }

    /**
     * Reserves room for one record.
     *
     * @param waitNanos 0 to fail at once, else the longest wait
     * @throws BufferFullException when there is no room in time
     * @throws ProducerClosedException when the budget is closed before or during the wait
     */
    public void reserve(int recordBytes, long waitNanos) {
        lock.lock();
        try {
            if (closed) {
                throw new ProducerClosedException(closedBy);
            }
            if (recordBytes > maxBytes) {
                throw full(recordBytes, "record larger than the whole budget");
            }
            if (waiters.isEmpty() && fits(recordBytes)) {
                take(recordBytes);
                return;
            }
            ranOut = true;
            onRanOut.run();
            if (waitNanos <= 0) {
                throw full(recordBytes, "no room");
            }
            Condition me = lock.newCondition();
            waiters.addLast(me);
            long remaining = waitNanos;
            try {
                while (!(waiters.peekFirst() == me && fits(recordBytes))) {
                    if (closed) {
                        throw new ProducerClosedException("producer closed while waiting for buffer space; "
                                + closedBy);
                    }
                    if (remaining <= 0) {
                        throw full(recordBytes, "waited " + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms");
                    }
                    try {
                        remaining = me.awaitNanos(remaining);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new KinesisProducerException("interrupted while waiting for buffer space (record of "
                                + recordBytes + " bytes not added)", e);
                    }
                }
                if (closed) {
                    throw new ProducerClosedException("producer closed while waiting for buffer space; "
                            + closedBy);
                }
                take(recordBytes);
            } finally {
                waiters.remove(me);
                Condition next = waiters.peekFirst();
                if (next != null) {
                    next.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Returns room taken by a record that was never accepted (its add failed) and wakes the oldest waiter. */
    public void release(long releasedBytes, long releasedRecords) {
        beginCompletion(releasedBytes, releasedRecords);
        endCompletion(releasedRecords);
    }

    /**
     * Returns the room of records whose outcome is decided, before their futures complete, and wakes the oldest
     * waiter; {@link #endCompletion} must follow once the futures are completed.
     */
    public void beginCompletion(long releasedBytes, long releasedRecords) {
        lock.lock();
        try {
            bytes -= releasedBytes;
            records -= releasedRecords;
            completing += releasedRecords;
            Condition next = waiters.peekFirst();
            if (next != null) {
                next.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The futures of records passed to {@link #beginCompletion} are completed. */
    public void endCompletion(long completedRecords) {
        lock.lock();
        try {
            completing -= completedRecords;
            if (records == 0) { // also for waiters that do not count their own completions

                empty.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing is outstanding and every decided record's future has completed. @return false on timeout */
    public boolean awaitEmpty(long timeoutNanos) throws InterruptedException {
        return awaitEmpty(timeoutNanos, 0);
    }

    /**
     * {@link #awaitEmpty(long)}, not counting {@code ownCompleting} records whose completion the calling thread
     * itself is running (a callback that closes the producer would otherwise wait for itself).
     */
    public boolean awaitEmpty(long timeoutNanos, long ownCompleting) throws InterruptedException {
        lock.lock();
        try {
            long remaining = timeoutNanos;
            while (records > 0 || completing > ownCompleting) {
                if (remaining <= 0) {
                    return false;
                }
                remaining = empty.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new reservations and wakes every waiter, which then throws {@link ProducerClosedException}. */
    public void close() {
        close("producer is closed");
    }

    /** {@link #close()}, with the message of the exceptions that refused adds get (what closed the producer). */
    public void close(String description) {
        lock.lock();
        try {
            closed = true;
            closedBy = description;
            for (Condition waiter : waiters) {
                waiter.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    public long outstandingBytes() {
        lock.lock();
        try {
            return bytes;
        } finally {
            lock.unlock();
        }
    }

    public long outstandingRecords() {
        lock.lock();
        try {
            return records;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code action} (cheap, non-blocking) whenever an add finds no room at once: the sender then sends what
     * is buffered instead of waiting for the buffered time, when nothing else would free room ({@link #takeRanOut}).
     */
    public void onRanOut(Runnable action) {
        this.onRanOut = action;
    }

    /** Whether an add found no room at once since the last call, or a thread still waits for room; clears the first. */
    public boolean takeRanOut() {
        if (!ranOut) {
            return false;
        }
        lock.lock();
        try {
            ranOut = !waiters.isEmpty();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Threads waiting for room. */
    int waiting() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    private boolean fits(int recordBytes) {
        return records + 1 <= maxRecords && bytes + recordBytes <= maxBytes;
    }

    private void take(int recordBytes) {
        bytes += recordBytes;
        records++;
    }

    private BufferFullException full(int recordBytes, String why) {
        long available = Math.max(0, maxBytes - bytes);
        return new BufferFullException("buffer full (" + why + "): record needs " + recordBytes + " bytes, "
                + available + " of " + maxBytes + " bytes available, " + records + " of " + maxRecords
                + " records outstanding (maxOutstandingBytes / maxOutstandingRecords)", recordBytes, maxBytes,
                available);
    }
}
