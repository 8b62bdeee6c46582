package io.purekinesis.producer.internal;

import io.purekinesis.producer.BackpressureMode;
import io.purekinesis.producer.BufferFullException;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.concurrent.TimeUnit;

/**
 * Takes room in the memory budget for each add, as the {@link BackpressureMode} says: wait up to
 * {@link ProducerConfig#addTimeout()} ({@code BLOCK}) or fail at once. An add from a future callback or the
 * dead-letter handler that must wait does not just wait: the room comes back when completions run, and those queued
 * on this very thread (the producer's one callback thread) could never run while it waits. So it runs them itself
 * between short waits.
 */
public final class AddBackpressure {

    /** How often an add waiting on a callback thread runs the completions queued behind it. */
    public static final long OWN_THREAD_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MemoryBudget budget;
    private final Completer completer;
    private final long addTimeoutNanos;

    public AddBackpressure(ProducerConfig config, MemoryBudget budget, Completer completer) {
        this.budget = budget;
        this.completer = completer;
        this.addTimeoutNanos = config.backpressure() == BackpressureMode.BLOCK ? config.addTimeout().toNanos() : 0;
    }

    /**
     * Takes room for a record of {@code size} bytes.
     *
     * @throws BufferFullException when no room came in time
     */
    public void reserve(int size) {
        if (addTimeoutNanos == 0 || completer.completingOnThisThread() == 0) {
            try {
                budget.reserve(size, addTimeoutNanos);
            } catch (BufferFullException e) {
                int waiting = completer.pendingTasks();
                if (waiting == 0) {
                    throw e;
                }
                // Room comes back when completions run: say so when they are what is holding it.
                throw new BufferFullException(e.getMessage() + "; " + waiting + " completion tasks are waiting "
                        + "for the callback executor (a slow or blocked future callback or dead-letter handler "
                        + "holds their room)", e.requestedBytes(), e.limitBytes(), e.availableBytes());
            }
            return;
        }
        long deadline = System.nanoTime() + addTimeoutNanos;
        while (true) {
            long remaining = deadline - System.nanoTime();
            try {
                budget.reserve(size, Math.max(0, Math.min(remaining, OWN_THREAD_POLL_NANOS)));
                return;
            } catch (BufferFullException e) {
                if (completer.runPending() == 0 && remaining <= 0) {
                    throw new BufferFullException(e.getMessage() + "; this add ran on a callback thread for "
                            + TimeUnit.NANOSECONDS.toMillis(addTimeoutNanos) + " ms (addTimeout), completing what "
                            + "it could", e.requestedBytes(), e.limitBytes(), e.availableBytes());
                }
            }
        }
    }
}
