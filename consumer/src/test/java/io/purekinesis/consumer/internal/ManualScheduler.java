package io.purekinesis.consumer.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler and {@link Time} on a virtual clock that moves only when the test says so: nothing runs until the test
 * calls {@link #runUntilIdle} or {@link #advance}, and then queued tasks run on the test's thread in the order of
 * their due time, the clock moving to each one's. A {@link Time#sleep} moves the clock instead of waiting (and runs
 * what falls due meanwhile). Tests assert on the state a component is left in when nothing is left to run, instead
 * of sleeping and hoping a bug would have shown by then.
 *
 * <p>A task that throws fails the run that ran it (the components handle their own failures: one escaping a task
 * would end a task chain or a periodic task).
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService, Time {

    /** Tasks are run at most this many per call: a chain that never parks fails instead of spinning forever. */
    static final int MAX_TASKS_PER_RUN = 1_000;
    private static final Instant WALL_START = Instant.parse("2026-01-01T00:00:00Z");

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private final Instant wallStart;
    /** Arbitrary, far from 0: code must not take nanoTime for a count from 0. */
    private final long startNanos = 1_000_000_000_000L;
    private long nowNanos = startNanos;
    private long sequence;
    private boolean shutdown;

    /** Wall time starts at 2026-01-01T00:00:00Z. */
    public ManualScheduler() {
        this(WALL_START);
    }

    public ManualScheduler(Instant wallStart) {
        this.wallStart = wallStart;
    }

    /**
     * Runs queued tasks, earliest due time first, moving the clock to each task's due time, until none is left.
     *
     * @return how many tasks ran
     * @throws AssertionError if tasks keep coming after {@value #MAX_TASKS_PER_RUN}, or a task threw
     */
    public int runUntilIdle() {
        return runDueBy(Long.MAX_VALUE);
    }

    /** Moves the clock forward by {@code d}, running the tasks that fall due on the way (in due order). */
    public int advance(Duration d) {
        long target;
        synchronized (this) {
            target = nowNanos + d.toNanos();
        }
        int ran = runDueBy(target);
        synchronized (this) {
            nowNanos = Math.max(nowNanos, target);
        }
        return ran;
    }

    private int runDueBy(long limitNanos) {
        int ran = 0;
        while (true) {
            Task next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.dueNanos - limitNanos > 0) {
                    return ran;
                }
                queue.poll();
                if (next.isCancelled()) {
                    continue;
                }
                nowNanos = Math.max(nowNanos, next.dueNanos);
            }
            next.runOnce();
            if (++ran >= MAX_TASKS_PER_RUN) {
                throw new AssertionError("the scheduler still had tasks after running " + ran
                        + ": a task chain never parks");
            }
        }
    }

    /** Tasks queued and not cancelled. */
    public synchronized int pending() {
        return (int) queue.stream().filter(t -> !t.isCancelled()).count();
    }

    /** How much virtual time passed since this scheduler was made. */
    public synchronized Duration elapsed() {
        return Duration.ofNanos(nowNanos - startNanos);
    }

    @Override
    public synchronized long nanoTime() {
        return nowNanos;
    }

    @Override
    public Instant wallTime() {
        return wallStart.plus(elapsed());
    }

    @Override
    public void sleep(Duration duration) {
        advance(duration);
    }

    private synchronized Task enqueue(Task t) {
        if (shutdown) {
            throw new RejectedExecutionException("shut down");
        }
        queue.add(t);
        return t;
    }

    private synchronized long dueIn(long delay, TimeUnit unit) {
        return nowNanos + Math.max(0, unit.toNanos(delay));
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return enqueue(new Task(new FutureTaskOf<>(command), dueIn(delay, unit), 0, false));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return enqueue(new Task(new FutureTaskOf<>(callable), dueIn(delay, unit), 0, false)).typed();
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return enqueue(new Task(new FutureTaskOf<>(command), dueIn(initialDelay, unit), unit.toNanos(period), true));
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
            TimeUnit unit) {
        return enqueue(new Task(new FutureTaskOf<>(command), dueIn(initialDelay, unit), unit.toNanos(delay), false));
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
    }

    @Override
    public synchronized List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> left = List.copyOf(queue);
        queue.clear();
        return left;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown && queue.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    /** A FutureTask whose runAndReset a periodic task can use. */
    private static final class FutureTaskOf<V> extends FutureTask<V> {
        FutureTaskOf(Callable<V> c) {
            super(c);
        }

        FutureTaskOf(Runnable r) {
            super(r, null);
        }

        @Override
        public boolean runAndReset() {
            return super.runAndReset();
        }
    }

    /** A queued task: one-shot, or periodic (then re-queued after each run until cancelled). */
    private final class Task implements ScheduledFuture<Object>, Runnable {
        private final FutureTaskOf<?> future;
        private final long periodNanos;
        private final boolean fixedRate;
        private long dueNanos;
        private long order;

        Task(FutureTaskOf<?> future, long dueNanos, long periodNanos, boolean fixedRate) {
            this.future = future;
            this.dueNanos = dueNanos;
            this.periodNanos = periodNanos;
            this.fixedRate = fixedRate;
            synchronized (ManualScheduler.this) {
                this.order = sequence++;
            }
        }

        @SuppressWarnings("unchecked")
        <V> ScheduledFuture<V> typed() {
            return (ScheduledFuture<V>) (ScheduledFuture<?>) this;
        }

        void runOnce() {
            if (periodNanos == 0) {
                future.run();
                rethrowFailure();
                return;
            }
            if (!future.runAndReset()) {
                rethrowFailure();
                return; // cancelled
            }
            synchronized (ManualScheduler.this) {
                dueNanos = fixedRate ? dueNanos + periodNanos : nowNanos + periodNanos;
                order = sequence++;
                if (!shutdown) {
                    queue.add(this);
                }
            }
        }

        private void rethrowFailure() {
            if (future.isDone() && !future.isCancelled()) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("a scheduled task threw", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void run() {
            runOnce();
        }

        @Override
        public long getDelay(TimeUnit unit) {
            synchronized (ManualScheduler.this) {
                return unit.convert(dueNanos - nowNanos, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public int compareTo(Delayed other) {
            Task o = (Task) other;
            int byTime = Long.compare(dueNanos, o.dueNanos);
            return byTime != 0 ? byTime : Long.compare(order, o.order);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return future.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean isCancelled() {
            return future.isCancelled();
        }

        @Override
        public boolean isDone() {
            return future.isDone();
        }

        @Override
        public Object get() throws InterruptedException, ExecutionException {
            return future.get();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException,
                java.util.concurrent.TimeoutException {
            return future.get(timeout, unit);
        }
    }
}
