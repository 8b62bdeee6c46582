package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.consumer.ConsumerConfig.ProcessorFailurePolicy;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer.FailurePolicy;
import io.purekinesis.consumer.internal.dispatch.ShardConsumer.RunningCall;
import io.purekinesis.consumer.internal.fetch.RecordBatch;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls one shard's processor on its processor thread, each call marked as running for {@link SlowCallWatch}: a
 * throwing initialize or processRecords is called again after a backoff (waited on the consumer's {@link Time}),
 * up to the configured attempts, then the failure policy applies (stop the shard, or hand the batch to the
 * dead-letter handler). Retrying ends as soon as the consumer is told to stop.
 */
final class ProcessorCalls {

    private static final Logger log = LoggerFactory.getLogger(ProcessorCalls.class);
    /** How often a backoff wait looks whether the consumer was told to stop. */
    private static final Duration STOP_CHECK = Duration.ofMillis(100);

    /** What the shard consumer was told; checked between attempts. */
    interface Stop {
        /** The lease is gone (told, or found by a refused checkpoint). */
        boolean leaseLost();

        /** Halted: ends without callbacks. */
        boolean halted();

        /** Asked to shut down or hand off. */
        boolean shutdownRequested();
    }

    private final String shardId;
    private final FailurePolicy policy;
    private final ConsumerMetrics metrics;
    private final Time time;
    private final Stop stop;
    /** The processor call running now, or null; read by {@link SlowCallWatch} on another thread. */
    private volatile RunningCall running;

    ProcessorCalls(String shardId, FailurePolicy policy, ConsumerMetrics metrics, Time time, Stop stop) {
        this.shardId = shardId;
        this.policy = policy;
        this.metrics = metrics;
        this.time = time;
        this.stop = stop;
    }

    RunningCall running() {
        return running;
    }

    /** Runs one processor call, marked as running. */
    void call(String what, Runnable call) {
        running = new RunningCall(shardId, what, time.nanoTime());
        try {
            call.run();
        } finally {
            running = null;
        }
    }

    /** A call whose failure is logged and goes no further (leaseLost, shutdownRequested, shardEnded). */
    void safely(String what, Runnable processorCall) {
        try {
            call(what, processorCall);
        } catch (RuntimeException | Error e) {
            log.warn("{} of the processor of shard {} threw", what, shardId, e);
        }
    }

    private boolean stopping() {
        return stop.leaseLost() || stop.halted() || stop.shutdownRequested();
    }

    /**
     * Initialize, retried like processRecords; false when the consumer was told to stop meanwhile.
     *
     * @throws RuntimeException the last failure, when every attempt failed
     */
    boolean initialize(Runnable call) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                call("initialize", call);
                return true;
            } catch (RuntimeException | Error e) {
                if (attempt >= policy.maxAttempts() || stopping()) {
                    log.error("initialize of shard {} failed {} times", shardId, attempt, e);
                    if (!stopping()) {
                        throw e;
                    }
                    return false;
                }
                Duration delay = policy.backoff().delay(attempt);
                log.warn("initialize of shard {} failed (attempt {}); retrying in {}", shardId, attempt, delay, e);
                sleepUnlessStopped(delay);
            }
        }
    }

    /**
     * Delivers a batch under the failure policy: true when it was processed (or dead-lettered), false when the
     * shard must stop (the policy says so, or the consumer was told to stop while retrying).
     */
    boolean processRecords(RecordProcessor processor, ProcessRecordsInput input, RecordBatch batch)
            throws InterruptedException {
        List<KinesisUserRecord> records = input.records();
        Throwable last = null;
        for (int attempt = 1; attempt <= policy.maxAttempts(); attempt++) {
            if (attempt > 1 && stopping()) {
                return false; // stopping while retrying: the batch was not processed
            }
            try {
                call("processRecords", () -> processor.processRecords(input));
                metrics.recordsProcessed(shardId, records.size(), batch.bytes());
                return true;
            } catch (LeaseLostException e) {
                if (stop.leaseLost()) {
                    return false;
                }
                last = e;
            } catch (RuntimeException | Error e) {
                last = e;
            }
            if (stop.leaseLost() || stop.halted()) {
                return false;
            }
            if (attempt < policy.maxAttempts()) {
                Duration delay = policy.backoff().delay(attempt);
                log.warn("processRecords of shard {} failed on {} records (attempt {} of {}); retrying in {}",
                        shardId, records.size(), attempt, policy.maxAttempts(), delay, last);
                sleepUnlessStopped(delay);
            }
        }
        return exhausted(records, last);
    }

    /** Every attempt failed: the failure policy decides. */
    private boolean exhausted(List<KinesisUserRecord> records, Throwable last) {
        if (policy.policy() == ProcessorFailurePolicy.DEAD_LETTER) {
            try {
                policy.deadLetterHandler().handle(shardId, records, last);
                log.error("processRecords of shard {} failed {} times; {} records ({} to {}) went to the dead-letter"
                        + " handler", shardId, policy.maxAttempts(), records.size(),
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
                + "STOP_SHARD): the lease is kept and nothing is skipped", shardId, policy.maxAttempts(),
                records.get(0).extendedSequenceNumber(), records.get(records.size() - 1).extendedSequenceNumber(),
                last);
        metrics.shardFailed(shardId, last);
        return false;
    }

    /** Waits {@code delay}, in steps, ending early when the consumer is told to stop. */
    private void sleepUnlessStopped(Duration delay) throws InterruptedException {
        long end = time.nanoTime() + delay.toNanos();
        while (!stopping()) {
            long left = end - time.nanoTime();
            if (left <= 0) {
                return;
            }
            time.sleep(Duration.ofNanos(Math.min(STOP_CHECK.toNanos(), Math.max(1_000_000, left))));
        }
    }
}
