package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerConfig.ProcessorFailurePolicy;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.DeadLetterHandler;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import io.purekinesis.consumer.RecordProcessorFactory;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.checkpoint.ShardCheckpointer;
import io.purekinesis.consumer.internal.fetch.RecordBatch;
import io.purekinesis.consumer.internal.fetch.RecordSource;
import io.purekinesis.consumer.internal.lease.StreamKey;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.ChildShard;

/**
 * Drives one {@link RecordProcessor} for one lease, on one processor thread: initialize, then deliver the batches of
 * its {@link RecordSource} (polling or fan-out: the same from here on) one at a time (so processRecords calls never
 * overlap for a shard), then end in exactly one way. Losing the lease stops delivery before the next batch; graceful
 * shutdown and handoff let the running call finish, then call shutdownRequested. A throwing processor gets the same
 * batch again with backoff, up to the configured attempts, then the failure policy applies.
 */
public final class ShardConsumer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ShardConsumer.class);
    /** How long the processor thread waits for a batch before it looks again whether it was told to stop. */
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

    /** What happens when a processor call throws. */
    public record FailurePolicy(ProcessorFailurePolicy policy, int maxAttempts, Backoff backoff,
            DeadLetterHandler deadLetterHandler) {

        /** The policy {@code context}'s config names, with its backoff on the context's random source. */
        public static FailurePolicy of(ConsumerContext context) {
            ConsumerConfig c = context.config();
            return new FailurePolicy(c.processorFailurePolicy(), c.processorMaxAttempts(),
                    Backoff.of(c.processorRetryBackoffBase(), c.processorRetryBackoffMax(),
                            context.random()), c.deadLetterHandler().orElse(null));
        }
    }

    /** The lease key: names the stream too in multi-stream mode, so logs and metrics do. */
    private final String shardId;
    private final String streamName;
    private final ExtendedSequenceNumber startingPosition;
    private final RecordProcessorFactory factory;
    private final RecordSource fetcher;
    private final ShardCheckpointer checkpointer;
    private final ConsumerMetrics metrics;
    private final Callbacks callbacks;
    private final ProcessorCalls calls;
    private final CompletableFuture<Outcome> done = new CompletableFuture<>();
    private volatile boolean leaseLost;
    private volatile Outcome shutdownReason;
    private volatile boolean halted;

    /** A processor call in progress: which, on which shard, since when ({@link Time#nanoTime()}). */
    public record RunningCall(String shardId, String call, long startedNanos) {
    }

    /**
     * @param checkpointer starts at the lease's checkpoint, which is where the processor is told it starts
     * @param time         for the backoff between attempts and the start of each call
     */
    public ShardConsumer(String shardId, RecordProcessorFactory factory, RecordSource fetcher,
            ShardCheckpointer checkpointer, FailurePolicy failurePolicy, ConsumerMetrics metrics, Time time,
            Callbacks callbacks) {
        this(shardId, null, factory, fetcher, checkpointer, failurePolicy, metrics, time, callbacks);
    }

    /**
     * @param leaseKey   the lease's key (the shard id, or {@code account:stream:creationEpoch:shardId}): in logs and
     *                   metrics; processors get the shard id and {@code streamName}
     * @param streamName the shard's stream, for {@link InitializationInput#streamName()}
     */
    public ShardConsumer(String leaseKey, String streamName, RecordProcessorFactory factory, RecordSource fetcher,
            ShardCheckpointer checkpointer, FailurePolicy failurePolicy, ConsumerMetrics metrics, Time time,
            Callbacks callbacks) {
        this.shardId = leaseKey;
        this.streamName = streamName;
        this.startingPosition = checkpointer.lastCheckpoint();
        this.factory = factory;
        this.fetcher = fetcher;
        this.checkpointer = checkpointer;
        this.metrics = metrics;
        this.callbacks = callbacks;
        this.calls = new ProcessorCalls(shardId, failurePolicy, metrics, time, new ProcessorCalls.Stop() {
            @Override
            public boolean leaseLost() {
                return lost();
            }

            @Override
            public boolean halted() {
                return halted;
            }

            @Override
            public boolean shutdownRequested() {
                return shutdownReason != null;
            }
        });
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
        return calls.running();
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

    /** Whether a graceful shutdown or handoff was asked for. */
    public boolean isShuttingDown() {
        return shutdownReason != null;
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
        if (!calls.initialize(() -> processor.initialize(new InitializationInput(StreamKey.shardIdOf(shardId),
                startingPosition, streamName)))) {
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
            calls.safely("leaseLost", processor::leaseLost);
            return Outcome.LEASE_LOST;
        }
        Outcome reason = shutdownReason;
        if (reason != null) {
            calls.safely("shutdownRequested", () -> processor.shutdownRequested(checkpointer));
            return reason;
        }
        return null;
    }

    private Outcome shardEnded(RecordProcessor processor, RecordBatch batch) {
        callbacks.shardEnded(shardId, batch.childShards());
        Set<String> children = batch.childShards().stream().map(ChildShard::shardId).collect(Collectors.toSet());
        checkpointer.markShardEnded(children);
        calls.safely("shardEnded", () -> processor.shardEnded(checkpointer));
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
            handled = calls.processRecords(processor, new ProcessRecordsInput(StreamKey.shardIdOf(shardId), records,
                    batch.millisBehindLatest(), checkpointer), batch);
            return handled;
        } finally {
            if (!handled || lost() || halted) {
                // not processed (stopping, or failed): a later checkpoint must not pass these records
                checkpointer.delivered(previouslyDelivered);
            }
        }
    }
}
