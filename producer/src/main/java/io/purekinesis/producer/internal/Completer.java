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
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides each record's outcome exactly once ({@link UserRecord#markDone()}), then, on the callback executor,
 * completes its future, hands failures to the dead-letter handler and releases its budget. One executor task per
 * entry or group, not per record. Exceptions from user code are logged, never propagated.
 */
public final class Completer {

    private static final Logger LOG = LoggerFactory.getLogger(Completer.class);

    private final Executor executor;
    private final MemoryBudget budget;
    private final DeadLetterHandler deadLetterHandler;
    private final ProducerMetrics metrics;

    public Completer(Executor executor, MemoryBudget budget, DeadLetterHandler deadLetterHandler,
            ProducerMetrics metrics) {
        this.executor = executor;
        this.budget = budget;
        this.deadLetterHandler = deadLetterHandler;
        this.metrics = metrics;
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
                long bytes = 0;
                for (int i = 0; i < won.size(); i++) {
                    won.get(i).future().complete(results.get(i));
                    bytes += won.get(i).sizeBytes();
                }
                budget.release(bytes, won.size());
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
            record.future().complete(result);
            budget.release(record.sizeBytes(), 1);
            metrics.userRecordsPut(record.stream(), 1);
        });
    }

    /**
     * Fails the records and dead-letters them.
     *
     * @param attempts the attempts of the entry that carried them (empty when never sent)
     * @return the records this call failed (those not already completed)
     */
    public List<FailedRecord> fail(Collection<UserRecord> records, List<Attempt> attempts, FailureReason reason,
            String errorCode, String errorMessage, Throwable cause) {
        List<Attempt> shared = List.copyOf(attempts);
        List<UserRecord> won = new ArrayList<>(records.size());
        List<FailedRecord> failed = new ArrayList<>(records.size());
        for (UserRecord r : records) {
            if (r.markDone()) {
                won.add(r);
                failed.add(new FailedRecord(r.stream(), r.partitionKey(), r.explicitHashKey(), r.data(),
                        r.attemptsWith(shared), reason, errorCode, errorMessage));
            }
        }
        if (!won.isEmpty()) {
            run(() -> {
                long bytes = 0;
                for (int i = 0; i < won.size(); i++) {
                    UserRecord r = won.get(i);
                    FailedRecord f = failed.get(i);
                    RecordFailedException e = reason == FailureReason.TTL_EXPIRED
                            || reason == FailureReason.MAX_ATTEMPTS_EXHAUSTED
                            ? new RecordExpiredException(reason, errorCode, errorMessage, f.attempts())
                            : new RecordFailedException(reason, errorCode, errorMessage, f.attempts(), cause);
                    r.future().completeExceptionally(e);
                    try {
                        deadLetterHandler.handle(f);
                    } catch (RuntimeException | Error t) {
                        LOG.error("Dead-letter handler threw for a record of stream {}", r.stream(), t);
                    }
                    bytes += r.sizeBytes();
                }
                budget.release(bytes, won.size());
                metrics.userRecordsFailed(won.get(0).stream(), won.size());
                metrics.userRecordsDeadLettered(won.get(0).stream(), won.size());
            });
        }
        return failed;
    }

    private void run(Runnable task) {
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("Completing records failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }
}
