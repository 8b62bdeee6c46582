package io.purekinesis.consumer.internal;

import io.purekinesis.consumer.ConsumerMetrics;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the user's {@link ConsumerMetrics}: an exception there is logged (once per method) and never reaches a
 * consumer loop.
 */
public final class SafeMetrics implements ConsumerMetrics {

    private static final Logger log = LoggerFactory.getLogger(SafeMetrics.class);

    private final ConsumerMetrics delegate;
    private final java.util.Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private SafeMetrics(ConsumerMetrics delegate) {
        this.delegate = delegate;
    }

    public static ConsumerMetrics wrap(ConsumerMetrics metrics) {
        return metrics == ConsumerMetrics.NOOP || metrics instanceof SafeMetrics ? metrics : new SafeMetrics(metrics);
    }

    private void call(String method, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            if (warned.add(method)) {
                log.warn("ConsumerMetrics.{} threw; ignoring (logged once)", method, e);
            }
        }
    }

    @Override
    public void recordsProcessed(String shardId, int records, long bytes) {
        call("recordsProcessed", () -> delegate.recordsProcessed(shardId, records, bytes));
    }

    @Override
    public void millisBehindLatest(String shardId, long millis) {
        call("millisBehindLatest", () -> delegate.millisBehindLatest(shardId, millis));
    }

    @Override
    public void recordsOutsideHashRange(String shardId, int records) {
        call("recordsOutsideHashRange", () -> delegate.recordsOutsideHashRange(shardId, records));
    }

    @Override
    public void leasesHeld(int leases) {
        call("leasesHeld", () -> delegate.leasesHeld(leases));
    }

    @Override
    public void leaseTaken(String shardId) {
        call("leaseTaken", () -> delegate.leaseTaken(shardId));
    }

    @Override
    public void leaseStolen(String shardId, String fromWorker) {
        call("leaseStolen", () -> delegate.leaseStolen(shardId, fromWorker));
    }

    @Override
    public void leaseLost(String shardId) {
        call("leaseLost", () -> delegate.leaseLost(shardId));
    }

    @Override
    public void checkpointLatency(String shardId, Duration latency) {
        call("checkpointLatency", () -> delegate.checkpointLatency(shardId, latency));
    }

    @Override
    public void recordsDeadLettered(String shardId, int records) {
        call("recordsDeadLettered", () -> delegate.recordsDeadLettered(shardId, records));
    }

    @Override
    public void shardEnded(String shardId) {
        call("shardEnded", () -> delegate.shardEnded(shardId));
    }

    @Override
    public void shardFailed(String shardId, Throwable cause) {
        call("shardFailed", () -> delegate.shardFailed(shardId, cause));
    }

    @Override
    public void unusableLeaseRow(String leaseKey, String problem) {
        call("unusableLeaseRow", () -> delegate.unusableLeaseRow(leaseKey, problem));
    }

    @Override
    public void nonTransientFailure(String operation, String resource, Throwable cause) {
        call("nonTransientFailure", () -> delegate.nonTransientFailure(operation, resource, cause));
    }

    @Override
    public void slowProcessorCall(String shardId, String call, Duration runningFor) {
        call("slowProcessorCall", () -> delegate.slowProcessorCall(shardId, call, runningFor));
    }
}
