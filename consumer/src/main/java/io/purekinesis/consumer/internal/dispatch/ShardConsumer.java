package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.consumer.ConsumerConfig.ProcessorFailurePolicy;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.DeadLetterHandler;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.consumer.RecordProcessorFactory;
import io.purekinesis.consumer.internal.Backoff;
import io.purekinesis.consumer.internal.checkpoint.ShardCheckpointer;
import io.purekinesis.consumer.internal.fetch.RecordBatch;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.ChildShard;

/**
 * Drives one {@link RecordProcessor} for one lease, on one processor thread: initialize, then deliver the
 * fetcher's batches one at a time (so processRecords calls never overlap for a shard), then end in exactly one
 * way. Losing the lease stops delivery before the next batch; graceful shutdown and handoff let the running call
 * finish, then call shutdownRequested. A throwing processor gets the same batch again with backoff, up to the
 * configured attempts, then the failure policy applies.
 */
public final class ShardConsumer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ShardConsumer.class);
    private static final Duration POLL = Duration.ofMillis(100);

    /** How a shard consumer ended. */
    public enum Outcome {
        /** The lease was lost; leaseLost was called. */
        LEASE_LOST,
        /** Graceful shutdown; shutdownRequested was called; the lease should be released. */
        SHUTDOWN,
        /** A peer stole the lease with a handoff; shutdownRequested was called; the handoff should be finished. */
        HANDOFF,
        /** The shard ended and the processor checkpointed SHARD_END. */
        SHARD_END,
        /** The processor kept failing, or did not checkpoint at shard end; the lease is kept, nothing skipped. */
        FAILED,
        /** Stopped abruptly (simulated crash): no callbacks. */
        HALTED
    }

    /** Called on the processor thread. */
    public interface Callbacks {
        /** The shard ended; create its children's leases before shardEnded is called. */
        void shardEnded(String shardId, List<ChildShard> children);

        /** The consumer ended. */
        void finished(ShardConsumer consumer, Outcome outcome);
    }

    /** Failure policy settings. */
    public record FailurePolicy(ProcessorFailurePolicy policy, int maxAttempts, Backoff backoff,
            DeadLetterHandler deadLetterHandler) {
    }

    private final String shardId;
    private final ExtendedSequenceNumber startingPosition;
    private final RecordProcessorFactory factory;
    private final ShardFetcher fetcher;
    private final ShardCheckpointer checkpointer;
    private final FailurePolicy failurePolicy;
    private final ConsumerMetrics metrics;
    private final Callbacks callbacks;
    private final CompletableFuture<Outcome> done = new CompletableFuture<>();
    private volatile boolean leaseLost;
    private volatile Outcome shutdownReason;
    private volatile boolean halted;
    /** The processor call running now, or null; read by {@link SlowCallWatch} on another thread. */
    private volatile RunningCall running;

    /** A processor call in progress: which, on which shard, since when ({@link System#nanoTime()}). */
    public record RunningCall(String shardId, String call, long startedNanos) {
    }

    public ShardConsumer(String shardId, ExtendedSequenceNumber startingPosition, RecordProcessorFactory factory,
            ShardFetcher fetcher, ShardCheckpointer checkpointer, FailurePolicy failurePolicy,
            ConsumerMetrics metrics, Callbacks callbacks) {
        this.shardId = shardId;
        this.startingPosition = startingPosition;
        this.factory = factory;
        this.fetcher = fetcher;
        this.checkpointer = checkpointer;
        this.failurePolicy = failurePolicy;
        this.metrics = metrics;
        this.callbacks = callbacks;
    }

    public String shardId() {
        return shardId;
    }

    /** The shard's checkpointer (package-private: tests). */
    ShardCheckpointer checkpointer() {
        return checkpointer;
    }

    /** The processor call running now, if any. */
    public RunningCall runningCall() {
        return running;
    }

    /** Runs one processor call, marked as running for {@link SlowCallWatch}. */
    private void call(String what, Runnable call) {
        running = new RunningCall(shardId, what, System.nanoTime());
        try {
            call.run();
        } finally {
            running = null;
        }
    }

    /** Completes with the outcome when the consumer has ended. */
    public CompletableFuture<Outcome> done() {
        return done;
    }

    /** Stops delivery before the next batch; the processor gets leaseLost. Any thread. */
    public void leaseLost() {
        leaseLost = true;
        checkpointer.markLeaseLost();
        fetcher.stop();
    }

    /** Graceful end ({@link Outcome#SHUTDOWN} or {@link Outcome#HANDOFF}). Any thread. */
    public void requestShutdown(Outcome reason) {
        if (reason != Outcome.SHUTDOWN && reason != Outcome.HANDOFF) {
            throw new IllegalArgumentException("shutdown reason must be SHUTDOWN or HANDOFF, was " + reason);
        }
        shutdownReason = reason;
        fetcher.stop();
    }

    /** Ends without any processor callback, as if the process died. Any thread. */
    public void halt() {
        halted = true;
        checkpointer.markLeaseLost(); // a dead process writes no more checkpoints
        fetcher.stop();
    }

    /** The lease is gone, as told by the coordinator or found by a refused checkpoint. */
    private boolean lost() {
        if (!leaseLost && checkpointer.isLeaseLost()) {
            leaseLost = true;
            fetcher.stop();
        }
        return leaseLost;
    }

    @Override
    public void run() {
        Outcome outcome;
        try {
            outcome = runLoop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = Outcome.HALTED;
        } catch (RuntimeException | Error e) {
            log.error("Shard consumer of {} failed", shardId, e);
            metrics.shardFailed(shardId, e);
            outcome = Outcome.FAILED;
        }
        fetcher.stop();
        log.info("Shard consumer of {} ended: {}", shardId, outcome);
        try {
            callbacks.finished(this, outcome);
        } finally {
            done.complete(outcome);
        }
    }

    private Outcome runLoop() throws InterruptedException {
        RecordProcessor processor = factory.create();
        fetcher.start();
        if (!attempt("initialize", () -> call("initialize",
                () -> processor.initialize(new InitializationInput(shardId, startingPosition))))) {
            return interruptedOutcome(processor);
        }
        while (true) {
            Outcome end = interruptedOutcome(processor);
            if (end != null) {
                return end;
            }
            RecordBatch batch = fetcher.poll(POLL);
            if (batch == null) {
                continue;
            }
            end = interruptedOutcome(processor); // the lease may have gone while poll() waited
            if (end != null) {
                return end;
            }
            if (!batch.records().isEmpty() && !deliver(processor, batch)) {
                end = interruptedOutcome(processor);
                return end != null ? end : Outcome.FAILED;
            }
            if (batch.shardEnd()) {
                end = interruptedOutcome(processor);
                if (end != null) {
                    return end;
                }
                return shardEnded(processor, batch);
            }
        }
    }

    /** Null while the consumer should go on; else the outcome after the matching processor callback. */
    private Outcome interruptedOutcome(RecordProcessor processor) {
        if (halted) {
            return Outcome.HALTED;
        }
        if (lost()) {
            safely("leaseLost", processor::leaseLost);
            return Outcome.LEASE_LOST;
        }
        Outcome reason = shutdownReason;
        if (reason != null) {
            safely("shutdownRequested", () -> processor.shutdownRequested(checkpointer));
            return reason;
        }
        return null;
    }

    private Outcome shardEnded(RecordProcessor processor, RecordBatch batch) {
        callbacks.shardEnded(shardId, batch.childShards());
        Set<String> children = batch.childShards().stream().map(ChildShard::shardId).collect(Collectors.toSet());
        checkpointer.markShardEnded(children);
        safely("shardEnded", () -> processor.shardEnded(checkpointer));
        if (ExtendedSequenceNumber.SHARD_END.equals(checkpointer.lastCheckpoint())) {
            metrics.shardEnded(shardId);
            return Outcome.SHARD_END;
        }
        if (lost()) {
            return Outcome.LEASE_LOST;
        }
        log.error("Processor of shard {} did not checkpoint in shardEnded: the shard's children stay blocked until"
                + " it does (the lease is kept; restart the worker to retry)", shardId);
        metrics.shardFailed(shardId, new IllegalStateException("no SHARD_END checkpoint"));
        return Outcome.FAILED;
    }

    /** Delivers a batch under the failure policy; false when the shard must stop. */
    private boolean deliver(RecordProcessor processor, RecordBatch batch) throws InterruptedException {
        List<KinesisUserRecord> records = batch.records();
        ExtendedSequenceNumber previouslyDelivered = checkpointer.lastDelivered();
        checkpointer.delivered(records.get(records.size() - 1).extendedSequenceNumber());
        boolean handled = false;
        try {
            handled = deliverWithRetries(processor, batch, records);
            return handled;
        } finally {
            if (!handled || lost() || halted) {
                // not processed (stopping, or failed): a later checkpoint must not pass these records
                checkpointer.delivered(previouslyDelivered);
            }
        }
    }

    private boolean deliverWithRetries(RecordProcessor processor, RecordBatch batch, List<KinesisUserRecord> records)
            throws InterruptedException {
        ProcessRecordsInput input = new ProcessRecordsInput(shardId, records, batch.millisBehindLatest(),
                checkpointer);
        Throwable last = null;
        for (int attempt = 1; attempt <= failurePolicy.maxAttempts(); attempt++) {
            if (attempt > 1 && (lost() || halted || shutdownReason != null)) {
                return false; // stopping while retrying: the batch was not processed
            }
            try {
                call("processRecords", () -> processor.processRecords(input));
                metrics.recordsProcessed(shardId, records.size(), batch.bytes());
                return true;
            } catch (LeaseLostException e) {
                if (lost()) {
                    return false;
                }
                last = e;
            } catch (RuntimeException | Error e) {
                last = e;
            }
            if (lost() || halted) {
                return false;
            }
            if (attempt < failurePolicy.maxAttempts()) {
                Duration delay = failurePolicy.backoff().delay(attempt);
                log.warn("processRecords of shard {} failed on {} records (attempt {} of {}); retrying in {}",
                        shardId, records.size(), attempt, failurePolicy.maxAttempts(), delay, last);
                sleepUnlessStopped(delay);
            }
        }
        if (failurePolicy.policy() == ProcessorFailurePolicy.DEAD_LETTER) {
            try {
                failurePolicy.deadLetterHandler().handle(shardId, records, last);
                log.error("processRecords of shard {} failed {} times; {} records ({} to {}) went to the dead-letter"
                        + " handler", shardId, failurePolicy.maxAttempts(), records.size(),
                        records.get(0).extendedSequenceNumber(), records.get(records.size() - 1)
                                .extendedSequenceNumber(), last);
                metrics.recordsDeadLettered(shardId, records.size());
                return true;
            } catch (RuntimeException e) {
                log.error("Dead-letter handler of shard {} failed; stopping the shard", shardId, e);
                metrics.shardFailed(shardId, e);
                return false;
            }
        }
        log.error("processRecords of shard {} failed {} times on records {} to {}; stopping the shard (policy "
                + "STOP_SHARD): the lease is kept and nothing is skipped", shardId, failurePolicy.maxAttempts(),
                records.get(0).extendedSequenceNumber(), records.get(records.size() - 1).extendedSequenceNumber(),
                last);
        metrics.shardFailed(shardId, last);
        return false;
    }

    /** Retries initialize like processRecords; false when the consumer must end. */
    private boolean attempt(String what, Runnable call) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                call.run();
                return true;
            } catch (RuntimeException | Error e) {
                if (attempt >= failurePolicy.maxAttempts() || lost() || halted || shutdownReason != null) {
                    log.error("{} of shard {} failed {} times", what, shardId, attempt, e);
                    if (!lost() && !halted && shutdownReason == null) {
                        throw e;
                    }
                    return false;
                }
                Duration delay = failurePolicy.backoff().delay(attempt);
                log.warn("{} of shard {} failed (attempt {}); retrying in {}", what, shardId, attempt, delay, e);
                sleepUnlessStopped(delay);
            }
        }
    }

    private void sleepUnlessStopped(Duration delay) throws InterruptedException {
        long end = System.nanoTime() + delay.toNanos();
        while (!lost() && !halted && shutdownReason == null) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.min(POLL.toMillis(), Math.max(1, left / 1_000_000)));
        }
    }

    private void safely(String what, Runnable processorCall) {
        try {
            call(what, processorCall);
        } catch (RuntimeException | Error e) {
            log.warn("{} of the processor of shard {} threw", what, shardId, e);
        }
    }
}
