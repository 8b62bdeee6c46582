package io.purekinesis.producer.internal;

import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.DeadLetterHandler;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.KinesisProducerException;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.RecordExpiredException;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides each record's outcome exactly once ({@link UserRecord#markDone()}), then, on the callback executor,
 * releases its budget, completes its future and hands failures to the dead-letter handler (room first, so a
 * callback that adds a record is not kept waiting by the record it is called for). One executor task per
 * entry or group, not per record. A record lets go of its data before its future completes
 * ({@link UserRecord#releasePayload()}): the user may keep the future.
 *
 * <p><b>Whatever throws, a decided record is completed.</b> Once a record is decided nothing may strand it: a
 * failed record whose data cannot be restored from its aggregate still fails (saying so) and is dead-lettered
 * without data; an exception from a user's dependent callback, the dead-letter handler, the metrics listener or
 * the executor is logged and affects no other record; a task the executor refuses or throws on runs on an
 * overflow thread; and a task the executor accepted but has not run (a saturated, stopped or discarding executor,
 * or the very thread calling {@code close}) is run by {@link #runPending()}, which close calls. The budget is
 * released by the task, so a stranded task would hold it: hence {@link CompletionTasks} keeps every task until it
 * starts.
 */
public final class Completer {

    private static final Logger LOG = LoggerFactory.getLogger(Completer.class);

    private final DeadLetterHandler deadLetterHandler;
    private final ProducerMetrics metrics;
    private final CompletionTasks tasks;
    private volatile boolean handlerFailureLogged;
    private volatile boolean callbackFailureLogged;

    /**
     * @param overflowThreadName names the thread that runs completions the executor rejects (a bounded user
     *     executor, or ours after close): never the calling thread, which may be the sender loop
     */
    public Completer(Executor executor, MemoryBudget budget, DeadLetterHandler deadLetterHandler,
            ProducerMetrics metrics, String overflowThreadName) {
        this.deadLetterHandler = deadLetterHandler;
        this.metrics = metrics;
        this.tasks = new CompletionTasks(executor, budget, overflowThreadName);
    }

    /** Every record of {@code entry} was stored in {@code shardId} at {@code sequenceNumber}. */
    public void succeed(KinesisEntry entry, String shardId, String sequenceNumber) {
        List<UserRecord> records = entry.records();
        List<UserRecord> won = new ArrayList<>(records.size());
        int[] subSequence = entry.aggregated() ? new int[records.size()] : null;
        try {
            for (int i = 0; i < records.size(); i++) {
                UserRecord r = records.get(i);
                if (r.markDone()) {
                    if (subSequence != null) {
                        subSequence[won.size()] = i;
                    }
                    won.add(r);
                }
            }
        } finally {
            if (!won.isEmpty()) {
                tasks.submit(won, () -> {
                    List<Attempt> attempts = List.copyOf(entry.attempts());
                    for (int k = 0; k < won.size(); k++) {
                        UserRecord r = won.get(k);
                        try {
                            r.releasePayload();
                            r.complete(new RecordResult(shardId, sequenceNumber,
                                    subSequence == null ? 0 : subSequence[k], entry.aggregated(),
                                    r.attemptsWith(attempts)));
                        } catch (RuntimeException | Error e) {
                            storedButNotReported(r, entry.stream(), shardId, sequenceNumber, e);
                        }
                    }
                    metrics.userRecordsPut(entry.stream(), won.size());
                });
            }
        }
    }

    /** One record of an aggregate was stored at {@code subSequenceNumber} (after a wrong-shard check). */
    public void succeedOne(UserRecord record, KinesisEntry entry, String shardId, String sequenceNumber,
            long subSequenceNumber) {
        if (!record.markDone()) {
            return;
        }
        tasks.submit(List.of(record), () -> {
            try {
                record.releasePayload();
                record.complete(new RecordResult(shardId, sequenceNumber, subSequenceNumber, entry.aggregated(),
                        record.attemptsWith(List.copyOf(entry.attempts()))));
            } catch (RuntimeException | Error e) {
                storedButNotReported(record, entry.stream(), shardId, sequenceNumber, e);
            }
            metrics.userRecordsPut(entry.stream(), 1);
        });
    }

    /**
     * A stored record whose result could not be built or delivered (never expected): its future fails saying where
     * it is stored; it is not dead-lettered, since resending it would store it twice.
     */
    private void storedButNotReported(UserRecord r, String stream, String shardId, String sequenceNumber,
            Throwable e) {
        LOG.error("Record of stream {} stored in {} at {}, but completing its future failed", stream, shardId,
                sequenceNumber, e);
        r.completeExceptionally(new KinesisProducerException("record stored in stream '" + stream + "', shard "
                + shardId + " at sequence number " + sequenceNumber + ", but its result could not be delivered: "
                + e, e));
    }

    /**
     * Fails the records and dead-letters them. A record packed into an aggregate gets its data back from the
     * aggregate for the dead letter; if that fails (the aggregate cannot be decoded), the record still fails, its
     * exception and dead letter say why, and the dead letter has no data.
     *
     * @param attempts the attempts of the entry that carried them (empty when never sent)
     * @return the records this call failed (those not already completed)
     */
    public List<FailedRecord> fail(String stream, Collection<UserRecord> records, List<Attempt> attempts,
            FailureReason reason, String errorCode, String errorMessage, Throwable cause) {
        List<Attempt> shared = List.copyOf(attempts);
        List<UserRecord> won = new ArrayList<>(records.size());
        List<FailedRecord> failed = new ArrayList<>(records.size());
        List<RecordFailedException> exceptions = new ArrayList<>(records.size());
        try {
            for (UserRecord r : records) {
                if (r.markDone()) {
                    won.add(r);
                    FailedRecord f;
                    RecordFailedException e;
                    try {
                        f = new FailedRecord(stream, r.partitionKey(), r.explicitHashKey(), r.data(),
                                r.attemptsWith(shared), reason, errorCode, errorMessage);
                        e = exception(reason, errorCode, errorMessage, f.attempts(), cause);
                    } catch (RuntimeException | Error restore) {
                        String message = dataLost(errorMessage, restore);
                        if (cause != null && cause != restore) {
                            restore.addSuppressed(cause);
                        }
                        f = new FailedRecord(stream, r.partitionKey(), r.explicitHashKey(), null, shared, reason,
                                errorCode, message);
                        e = exception(reason, errorCode, message, shared, restore);
                    }
                    failed.add(f);
                    exceptions.add(e);
                }
            }
        } finally {
            // Decided records are completed whatever happened above.
            while (failed.size() < won.size()) {
                UserRecord r = won.get(failed.size());
                failed.add(new FailedRecord(stream, r.partitionKey(), r.explicitHashKey(), null, shared, reason,
                        errorCode, errorMessage));
                exceptions.add(exception(reason, errorCode, errorMessage, shared, cause));
            }
            if (!won.isEmpty()) {
                tasks.submit(won, () -> {
                    for (int i = 0; i < won.size(); i++) {
                        UserRecord r = won.get(i);
                        try {
                            r.releasePayload(); // the FailedRecord has the data
                            r.completeExceptionally(exceptions.get(i));
                        } catch (RuntimeException | Error e) {
                            callbackFailed(stream, e);
                        } finally {
                            deadLetter(failed.get(i));
                        }
                    }
                    metrics.userRecordsFailed(stream, won.size());
                    metrics.userRecordsDeadLettered(stream, won.size());
                });
            }
        }
        return failed;
    }

    private static String dataLost(String errorMessage, Throwable restore) {
        return (errorMessage == null ? "" : errorMessage + "; ")
                + "the record's data could not be restored from its aggregated record (" + restore
                + "), so the dead letter has no data";
    }

    private static RecordFailedException exception(FailureReason reason, String errorCode, String errorMessage,
            List<Attempt> attempts, Throwable cause) {
        return reason == FailureReason.TTL_EXPIRED || reason == FailureReason.MAX_ATTEMPTS_EXHAUSTED
                ? new RecordExpiredException(reason, errorCode, errorMessage, attempts, cause)
                : new RecordFailedException(reason, errorCode, errorMessage, attempts, cause);
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

    /** CompletableFuture catches what dependent actions throw; this is for what escapes anyway. */
    private void callbackFailed(String stream, Throwable t) {
        if (!callbackFailureLogged) {
            callbackFailureLogged = true;
            LOG.error("Completing a future of stream {} threw; further failures are logged at DEBUG", stream, t);
        } else {
            LOG.debug("Completing a future of stream {} threw", stream, t);
        }
    }

    /** The sender loop's thread: user code must never run on it, whatever the executor does. */
    public void loopThread(Thread thread) {
        tasks.loopThread(thread);
    }

    /**
     * Records whose completion is running on the calling thread (a future callback or the dead-letter handler
     * called from it): 0 elsewhere. Close uses it not to wait for completions only this thread could finish.
     */
    public long completingOnThisThread() {
        return tasks.completingOnThisThread();
    }

    /**
     * Runs, on the calling thread, every completion submitted but not yet started: for close, when the executor
     * cannot (it is the calling thread, or it stopped, discards or stalls). Safe to call any time: each task runs
     * once.
     *
     * @return how many tasks this call ran
     */
    public int runPending() {
        return tasks.runPending();
    }

    /** Completion tasks submitted and not started (tests, diagnostics). */
    public int pendingTasks() {
        return tasks.pendingTasks();
    }
}
