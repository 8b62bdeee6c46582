package io.purekinesis.producer.internal.send;

import io.purekinesis.internal.aws.ClientHolder;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.internal.AddBackpressure;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The steps of the producer's {@code close}, once intake stopped: let adds under way finish, flush and wait for
 * every outcome until the deadline, stop the sender, fail what is left ({@link Sender#abortAll}), run completions
 * the callback executor did not, and release the callback thread and the client. A close called from a completion
 * does not wait for itself: it runs the completions queued behind it between short waits.
 */
public final class Shutdown {

    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);
    /** Longest wait past close's deadline for adds already under way (they no longer block then). */
    private static final long ADD_DRAIN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final String name;
    private final MemoryBudget budget;
    private final Completer completer;
    private final Sender sender;
    private final ClientHolder<KinesisAsyncClient> client;
    /** The callback executor when the producer made it, else null. */
    private final ExecutorService ownedCallbackExecutor;
    private final LongAdder activeAdds;

    /** @param activeAdds the adds running now (each counts itself while it runs) */
    public Shutdown(String name, MemoryBudget budget, Completer completer, Sender sender,
            ClientHolder<KinesisAsyncClient> client, ExecutorService ownedCallbackExecutor, LongAdder activeAdds) {
        this.name = name;
        this.budget = budget;
        this.completer = completer;
        this.sender = sender;
        this.client = client;
        this.ownedCallbackExecutor = ownedCallbackExecutor;
        this.activeAdds = activeAdds;
    }

    /**
     * Runs close, after the producer stopped taking adds.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which close gives up waiting for outcomes
     * @param ownCompleting records whose completion runs on the calling thread (close called from a callback)
     * @param closedBy where close was called, for the exceptions of blocked adds
     * @return exactly the records close failed
     */
    public List<FailedRecord> run(long deadlineNanos, long ownCompleting, String closedBy) {
        budget.close("producer " + name + " is closed: " + closedBy);
        List<FailedRecord> undelivered = List.of();
        boolean interrupted = false;
        try {
            while (activeAdds.sum() > 0 && System.nanoTime() < deadlineNanos) {
                Thread.onSpinWait();
            }
            sender.flush();
            boolean drained = awaitDrained(deadlineNanos, ownCompleting);
            sender.stop(Math.max(100, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            if (!drained) {
                awaitAddsEnded();
                undelivered = sender.abortAll();
                LOG.warn("Producer {} closed with {} records undelivered; they were dead-lettered", name,
                        undelivered.size());
            }
        } catch (InterruptedException e) {
            interrupted = true;
            try {
                sender.stop(0);
            } catch (InterruptedException ignored) {
                // already interrupted
            }
            awaitAddsEnded();
            undelivered = sender.abortAll();
        } finally {
            interrupted |= finishCompletions(deadlineNanos, ownCompleting);
            if (ownedCallbackExecutor != null) {
                ownedCallbackExecutor.shutdown();
                // Not from our own callback thread: it would wait for the very task that is running this close.
                if (ownCompleting == 0) {
                    try {
                        ownedCallbackExecutor.awaitTermination(
                                Math.max(100, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())),
                                TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            try {
                client.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the Kinesis client failed", e);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return undelivered;
    }

    /**
     * Waits until every record is completed or the deadline passes. From inside a completion the thread runs the
     * completions queued for the callback executor itself (only it could, with the producer's one callback thread)
     * and does not count its own.
     */
    private boolean awaitDrained(long deadline, long ownCompleting) throws InterruptedException {
        if (ownCompleting == 0) {
            return budget.awaitEmpty(Math.max(0, deadline - System.nanoTime()));
        }
        while (true) {
            completer.runPending();
            long remaining = deadline - System.nanoTime();
            if (budget.awaitEmpty(Math.max(0, Math.min(remaining, AddBackpressure.OWN_THREAD_POLL_NANOS)),
                    ownCompleting)) {
                return true;
            }
            if (remaining <= 0) {
                return false;
            }
        }
    }

    /**
     * Every record close or anything before it decided must have its future completed and its dead letter
     * handled before close returns. The callback executor gets until the deadline (a little longer for the
     * failures close just made); what it has not run then (stopped, saturated or discarding, or it is this very
     * thread) runs here.
     *
     * @return true when interrupted
     */
    private boolean finishCompletions(long deadline, long ownCompleting) {
        boolean interrupted = false;
        if (ownCompleting == 0) {
            try {
                budget.awaitEmpty(Math.max(ADD_DRAIN_GRACE_NANOS, deadline - System.nanoTime()));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        int ran = completer.runPending();
        if (ran > 0 && ownCompleting == 0) {
            LOG.warn("Producer {}: the callback executor did not run {} completion tasks by close's deadline; ran "
                    + "them on the closing thread", name, ran);
        }
        return interrupted;
    }

    /**
     * Before aborting: an {@code add} that passed the closed check before close began may still be appending its
     * record (the deadline may have passed while waiting for it). Once the budget is closed no add blocks, so this
     * ends within microseconds; without it such a record could land in an aborted pipeline and never complete.
     */
    private void awaitAddsEnded() {
        long giveUp = System.nanoTime() + ADD_DRAIN_GRACE_NANOS;
        while (activeAdds.sum() > 0 && System.nanoTime() < giveUp) {
            Thread.onSpinWait();
        }
    }
}
