package io.purekinesis.producer.internal;

import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link Completer}'s tasks (one per entry or group of records) on the callback executor, never on the
 * sender loop nor inline on the submitting thread: a task the executor refuses or throws on, or that a direct
 * executor would run on the sender loop, runs on an overflow thread. Each task releases its records' budget.
 * Every task is kept until it starts, so one the executor accepted but never ran (a saturated, stopped or
 * discarding executor, or the very thread calling {@code close}) is run by {@link #runPending()}.
 */
final class CompletionTasks {

    private static final Logger LOG = LoggerFactory.getLogger(CompletionTasks.class);

    private final Executor executor;
    private final MemoryBudget budget;
    private final Executor overflow;
    /** Tasks submitted but not started: one per entry or group, so bounded by the budget. */
    private final Set<Task> pending = ConcurrentHashMap.newKeySet();
    /** Records whose completion runs on this thread now (nested when a callback closes the producer). */
    private final ThreadLocal<long[]> completingHere = ThreadLocal.withInitial(() -> new long[1]);
    private volatile Thread loopThread;

    /**
     * @param overflowThreadName names the thread that runs completions the executor rejects (a bounded user
     *     executor, or ours after close): never the calling thread, which may be the sender loop
     */
    CompletionTasks(Executor executor, MemoryBudget budget, String overflowThreadName) {
        this.executor = executor;
        this.budget = budget;
        // One daemon thread, started on the first rejection, ended after a second idle. Its queue holds at most
        // one task per outstanding record group, which the memory budget bounds.
        ThreadPoolExecutor overflow = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, overflowThreadName);
                    t.setDaemon(true);
                    return t;
                });
        overflow.allowCoreThreadTimeOut(true);
        this.overflow = overflow;
    }

    /** Runs {@code body}, which completes {@code records}, once, off the calling thread; then frees their room. */
    void submit(List<UserRecord> records, Runnable body) {
        Task task = new Task(records, body);
        pending.add(task);
        try {
            // A direct or caller-runs executor would run the task right here, possibly on the sender loop.
            executor.execute(() -> {
                if (Thread.currentThread() == loopThread) {
                    overflow.execute(task::runOnce);
                } else {
                    task.runOnce();
                }
            });
        } catch (RuntimeException | Error e) {
            // Rejected, or a broken executor: never run user code inline (the caller may be the sender loop or an
            // SDK thread).
            LOG.debug("Callback executor refused a completion ({}); running it on the overflow thread", e.toString());
            overflow.execute(task::runOnce);
        }
    }

    /** The sender loop's thread: user code must never run on it, whatever the executor does. */
    void loopThread(Thread thread) {
        this.loopThread = thread;
    }

    /** See {@link Completer#completingOnThisThread()}. */
    long completingOnThisThread() {
        return completingHere.get()[0];
    }

    /** See {@link Completer#runPending()}. */
    int runPending() {
        int ran = 0;
        for (Task t : pending) {
            if (t.runOnce()) {
                ran++;
            }
        }
        return ran;
    }

    int pendingTasks() {
        return pending.size();
    }

    private static long totalBytes(List<UserRecord> records) {
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            bytes += records.get(i).sizeBytes();
        }
        return bytes;
    }

    /** One submitted completion: runs at most once, wherever it is started first. */
    private final class Task {
        private final List<UserRecord> records;
        private final Runnable body;
        private final AtomicBoolean started = new AtomicBoolean();

        Task(List<UserRecord> records, Runnable body) {
            this.records = records;
            this.body = body;
        }

        boolean runOnce() {
            if (!started.compareAndSet(false, true)) {
                return false;
            }
            pending.remove(this);
            int n = records.size();
            long[] here = completingHere.get();
            here[0] += n;
            budget.beginCompletion(totalBytes(records), n);
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                LOG.error("Completing records failed", e);
            } finally {
                // Whatever happens above, a flush waiting for these completions is let go, once.
                budget.endCompletion(n);
                here[0] -= n;
            }
            return true;
        }
    }
}
