package io.purekinesis.consumer.internal.fetch;

import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler that runs nothing until the test says so, then runs the queued tasks in the order of their due time on
 * a virtual clock. A {@link ShardFetcher} is a chain of tasks on its scheduler that never blocks: when
 * {@link #runUntilIdle} returns, nothing is left to run, so the fetcher is parked (waiting for queue space, or for a
 * call the test has not answered yet) and its state stays as it is until the test acts. Tests assert on that state
 * instead of sleeping and hoping a bug would have shown by then.
 *
 * <p>Only {@code execute} and {@code schedule(Runnable, ...)} are supported: that is all the fetcher uses.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    /** Tasks are run at most this many at a time: a chain that never parks fails instead of spinning forever. */
    static final int MAX_TASKS_PER_RUN = 1_000;

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long nowNanos;
    private long sequence;
    private boolean shutdown;

    /**
     * Runs queued tasks, oldest due time first, moving the virtual clock to each task's due time, until none is left.
     *
     * @return how many tasks ran
     * @throws AssertionError if tasks keep coming after {@value #MAX_TASKS_PER_RUN}, or a task threw (the fetcher
     *                        handles its own failures: one escaping its task would end the chain)
     */
    int runUntilIdle() {
        int ran = 0;
        while (true) {
            Task next;
            synchronized (this) {
                next = queue.poll();
                if (next == null) {
                    return ran;
                }
                nowNanos = Math.max(nowNanos, next.dueNanos);
            }
            next.run();
            next.rethrowFailure();
            if (++ran >= MAX_TASKS_PER_RUN) {
                throw new AssertionError("the scheduler still had tasks after running " + ran
                        + ": the task chain never parks");
            }
        }
    }

    /** Tasks queued and not cancelled. */
    synchronized int pending() {
        return (int) queue.stream().filter(t -> !t.isCancelled()).count();
    }

    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        Task t = new Task(command, nowNanos + Math.max(0, unit.toNanos(delay)), sequence++);
        queue.add(t);
        return t;
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("not used by ShardFetcher");
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("not used by ShardFetcher");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay,
            TimeUnit unit) {
        throw new UnsupportedOperationException("not used by ShardFetcher");
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

    private final class Task extends FutureTask<Void> implements ScheduledFuture<Void> {
        private final long dueNanos;
        private final long order;

        Task(Runnable command, long dueNanos, long order) {
            super(command, null);
            this.dueNanos = dueNanos;
            this.order = order;
        }

        void rethrowFailure() {
            if (isDone() && !isCancelled()) {
                try {
                    get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError("a scheduled task threw", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
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
    }
}
