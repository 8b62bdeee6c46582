package io.purekinesis.producer.internal.shardmap;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Bounds the producer's shard-map loads (ListShards, DescribeStreamSummary) in flight, so that thousands of new
 * or failing streams cannot flood the connection pool that PutRecords calls share. Streams that already work
 * (refreshing a shard map they have) go first and may use every slot; first loads of new streams wait in FIFO
 * order for the slots not {@linkplain #reservedForRefreshes reserved} for refreshes, so a working stream is never
 * starved by new or failing ones, and new streams are served in the order they came.
 *
 * <p>Queue operations run on the sender thread; {@link #release()} may run on any thread.
 *
 * @param <T> the waiting stream's type
 */
public final class LoadLimiter<T> {

    private final int maxInFlight;
    private final int reservedForRefreshes;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ArrayDeque<T> waiting = new ArrayDeque<>(); // sender thread only

    public LoadLimiter(int maxInFlight, int reservedForRefreshes) {
        if (maxInFlight < 1 || reservedForRefreshes < 0 || reservedForRefreshes >= maxInFlight) {
            throw new IllegalArgumentException("need 1 <= maxInFlight and 0 <= reserved < maxInFlight, were "
                    + maxInFlight + " and " + reservedForRefreshes);
        }
        this.maxInFlight = maxInFlight;
        this.reservedForRefreshes = reservedForRefreshes;
    }

    /** A refresh of a working stream: takes a slot if any is free. */
    public boolean tryAcquireRefresh() {
        while (true) {
            int n = inFlight.get();
            if (n >= maxInFlight) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** A new or failed stream waits for a first-load slot (the caller makes sure it is queued once). */
    public void enqueue(T stream) {
        waiting.addLast(stream);
    }

    /**
     * Hands free first-load slots to the oldest waiting streams that {@code start} accepts (it starts their load
     * and returns true; false for a stream that no longer needs one, which loses its place).
     */
    public void startWaiting(Predicate<T> start) {
        while (!waiting.isEmpty()) {
            int n = inFlight.get();
            if (n >= maxInFlight - reservedForRefreshes) {
                return;
            }
            if (!inFlight.compareAndSet(n, n + 1)) {
                continue;
            }
            T next = waiting.pollFirst();
            boolean started;
            try {
                started = start.test(next);
            } catch (RuntimeException | Error e) {
                release();
                throw e;
            }
            if (!started) {
                release();
            }
        }
    }

    /** A load ended (any thread). */
    public void release() {
        inFlight.decrementAndGet();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int waiting() {
        return waiting.size();
    }
}
