package io.purekinesis.consumer.internal;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.internal.listener.ListenerGuard;
import java.time.Duration;
import org.slf4j.LoggerFactory;

/**
 * Wraps the user's {@link ConsumerMetrics} in a {@link ListenerGuard}: whatever it throws, Errors included, is
 * reported (WARN once per method, then DEBUG) and never reaches a consumer loop.
 */
public final class SafeMetrics implements ConsumerMetrics {

    private final ConsumerMetrics delegate;
    private final ListenerGuard guard = new ListenerGuard(LoggerFactory.getLogger(SafeMetrics.class),
            "ConsumerMetrics");

    private SafeMetrics(ConsumerMetrics delegate) {
        this.delegate = delegate;
    }

    public static ConsumerMetrics wrap(ConsumerMetrics metrics) {
        return metrics == ConsumerMetrics.NOOP || metrics instanceof SafeMetrics ? metrics : new SafeMetrics(metrics);
    }

    @Override
    public void recordsProcessed(String shardId, int records, long bytes) {
        guard.run("recordsProcessed", () -> delegate.recordsProcessed(shardId, records, bytes));
    }

    @Override
    public void millisBehindLatest(String shardId, long millis) {
        guard.run("millisBehindLatest", () -> delegate.millisBehindLatest(shardId, millis));
    }

    @Override
    public void recordsOutsideHashRange(String shardId, int records) {
        guard.run("recordsOutsideHashRange", () -> delegate.recordsOutsideHashRange(shardId, records));
    }

    @Override
    public void leasesHeld(int leases) {
        guard.run("leasesHeld", () -> delegate.leasesHeld(leases));
    }

    @Override
    public void leaseTaken(String shardId) {
        guard.run("leaseTaken", () -> delegate.leaseTaken(shardId));
    }

    @Override
    public void leaseStolen(String shardId, String fromWorker) {
        guard.run("leaseStolen", () -> delegate.leaseStolen(shardId, fromWorker));
    }

    @Override
    public void leaseLost(String shardId) {
        guard.run("leaseLost", () -> delegate.leaseLost(shardId));
    }

    @Override
    public void checkpointLatency(String shardId, Duration latency) {
        guard.run("checkpointLatency", () -> delegate.checkpointLatency(shardId, latency));
    }

    @Override
    public void recordsDeadLettered(String shardId, int records) {
        guard.run("recordsDeadLettered", () -> delegate.recordsDeadLettered(shardId, records));
    }

    @Override
    public void shardEnded(String shardId) {
        guard.run("shardEnded", () -> delegate.shardEnded(shardId));
    }

    @Override
    public void shardFailed(String shardId, Throwable cause) {
        guard.run("shardFailed", () -> delegate.shardFailed(shardId, cause));
    }

    @Override
    public void unusableLeaseRow(String leaseKey, String problem) {
        guard.run("unusableLeaseRow", () -> delegate.unusableLeaseRow(leaseKey, problem));
    }

    @Override
    public void nonTransientFailure(String operation, String resource, Throwable cause) {
        guard.run("nonTransientFailure", () -> delegate.nonTransientFailure(operation, resource, cause));
    }

    @Override
    public void slowProcessorCall(String shardId, String call, Duration runningFor) {
        guard.run("slowProcessorCall", () -> delegate.slowProcessorCall(shardId, call, runningFor));
    }
}
