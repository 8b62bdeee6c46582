package io.purekinesis.producer.internal;

import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.DeadLetterHandler;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.RecordExpiredException;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides each record's outcome exactly once ({@link UserRecord#markDone()}), then, on the callback executor,
 * releases its budget, completes its future and hands failures to the dead-letter handler (room first, so a
 * callback that adds a record is not kept waiting by the record it is called for). One executor task per
 * entry or group, not per record. Exceptions from user code are logged, never propagated. A record lets go of its
 * data before its future completes ({@link UserRecord#releasePayload()}): the user may keep the future.
 */
public final class Completer {

    private static final Logger LOG = LoggerFactory.getLogger(Completer.class);

    private final Executor executor;
    private final MemoryBudget budget;
    private final DeadLetterHandler deadLetterHandler;
    private final ProducerMetrics metrics;
    private final Executor overflow;
    private volatile boolean handlerFailureLogged;
    private volatile Thread loopThread;

    public Completer(Executor executor, MemoryBudget budget, DeadLetterHandler deadLetterHandler,
            ProducerMetrics metrics) {
        this(executor, budget, deadLetterHandler, metrics, "purekinesis-producer-callback-overflow");
    }

    /**
     * @param overflowThreadName names the thread that runs completions the executor rejects (a bounded user
     *     executor, or ours after close): never the calling thread, which may be the sender loop
     */
    public Completer(Executor executor, MemoryBudget budget, DeadLetterHandler deadLetterHandler,
            ProducerMetrics metrics, String overflowThreadName) {
        this.executor = executor;
        this.budget = budget;
        this.deadLetterHandler = deadLetterHandler;
        this.metrics = metrics;
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

    /** Every record of {@code entry} was stored in {@code shardId} at {@code sequenceNumber}. */
    public void succeed(KinesisEntry entry, String shardId, String sequenceNumber) {
        List<UserRecord> records = entry.records();
        List<Attempt> attempts = List.copyOf(entry.attempts());
        List<UserRecord> won = new ArrayList<>(records.size());
        List<RecordResult> results = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            UserRecord r = records.get(i);
            if (r.markDone()) {
                won.add(r);
                results.add(new RecordResult(shardId, sequenceNumber, entry.aggregated() ? i : 0,
                        entry.aggregated(), r.attemptsWith(attempts)));
            }
        }
        if (!won.isEmpty()) {
            run(() -> {
                budget.beginCompletion(totalBytes(won), won.size());
                try {
                    for (int i = 0; i < won.size(); i++) {
                        UserRecord r = won.get(i);
                        r.releasePayload();
                        r.complete(results.get(i));
                    }
                } finally {
                    // Whatever happens above, a flush waiting for these completions is let go, once.
                    budget.endCompletion(won.size());
                }
                metrics.userRecordsPut(entry.stream(), won.size());
            });
        }
    }

    /** One record of an aggregate was stored at {@code subSequenceNumber} (after a wrong-shard check). */
    public void succeedOne(UserRecord record, KinesisEntry entry, String shardId, String sequenceNumber,
            long subSequenceNumber) {
        if (!record.markDone()) {
            return;
        }
        RecordResult result = new RecordResult(shardId, sequenceNumber, subSequenceNumber, entry.aggregated(),
                record.attemptsWith(List.copyOf(entry.attempts())));
        run(() -> {
            budget.beginCompletion(record.sizeBytes(), 1);
            try {
                record.releasePayload();
                record.complete(result);
            } finally {
                budget.endCompletion(1);
            }
            metrics.userRecordsPut(entry.stream(), 1);
        });
    }

    /**
     * Fails the records and dead-letters them.
     *
     * @param attempts the attempts of the entry that carried them (empty when never sent)
     * @return the records this call failed (those not already completed)
     */
    public List<FailedRecord> fail(String stream, Collection<UserRecord> records, List<Attempt> attempts,
            FailureReason reason, String errorCode, String errorMessage, Throwable cause) {
        List<Attempt> shared = List.copyOf(attempts);
        List<UserRecord> won = new ArrayList<>(records.size());
        List<FailedRecord> failed = new ArrayList<>(records.size());
        for (UserRecord r : records) {
            if (r.markDone()) {
                won.add(r);
                failed.add(new FailedRecord(stream, r.partitionKey(), r.explicitHashKey(), r.data(),
                        r.attemptsWith(shared), reason, errorCode, errorMessage));
            }
        }
        if (!won.isEmpty()) {
            run(() -> {
                budget.beginCompletion(totalBytes(won), won.size());
                try {
                    for (int i = 0; i < won.size(); i++) {
                        UserRecord r = won.get(i);
                        FailedRecord f = failed.get(i);
                        try {
                            RecordFailedException e = reason == FailureReason.TTL_EXPIRED
                                    || reason == FailureReason.MAX_ATTEMPTS_EXHAUSTED
                                    ? new RecordExpiredException(reason, errorCode, errorMessage, f.attempts())
                                    : new RecordFailedException(reason, errorCode, errorMessage, f.attempts(), cause);
                            r.releasePayload(); // the FailedRecord has the data
                            r.completeExceptionally(e);
                        } finally {
                            deadLetter(f);
                        }
                    }
                } finally {
                    budget.endCompletion(won.size());
                }
                metrics.userRecordsFailed(stream, won.size());
                metrics.userRecordsDeadLettered(stream, won.size());
            });
        }
        return failed;
    }

    private void deadLetter(FailedRecord f) {
        try {
            deadLetterHandler.handle(f);
        } catch (RuntimeException | Error t) {
            // Not once per record: a handler that always throws would flood the log.
            if (!handlerFailureLogged) {
                handlerFailureLogged = true;
                LOG.error("Dead-letter handler threw for a record of stream {}; further failures are logged at DEBUG",
                        f.stream(), t);
            } else {
                LOG.debug("Dead-letter handler threw for a record of stream {}", f.stream(), t);
            }
        }
    }

    private static long totalBytes(List<UserRecord> records) {
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            bytes += records.get(i).sizeBytes();
        }
        return bytes;
    }

    /** The sender loop's thread: user code must never run on it, whatever the executor does. */
    public void loopThread(Thread thread) {
        this.loopThread = thread;
    }

    private void run(Runnable task) {
        Runnable guarded = () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("Completing records failed", e);
            }
        };
        try {
            // A direct or caller-runs executor would run the task right here, possibly on the sender loop.
            executor.execute(() -> {
                if (Thread.currentThread() == loopThread) {
                    overflow.execute(guarded);
                } else {
                    guarded.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // Never run user code inline: the caller may be the sender loop or an SDK thread.
            overflow.execute(guarded);
        }
    }
}
