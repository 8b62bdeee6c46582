package io.purekinesis.consumer.internal.dispatch;

import io.purekinesis.consumer.ConsumerMetrics;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports processor calls that run long. A processor blocked in processRecords (or shutdownRequested, initialize,
 * ...) keeps its shard's lease renewed while nothing is delivered, and nothing else would say so: a call running
 * longer than the first threshold is reported at WARN and to {@link ConsumerMetrics#slowProcessorCall}, then again
 * each time its running time doubles. Checked periodically from one thread.
 */
public final class SlowCallWatch {

    private static final Logger log = LoggerFactory.getLogger(SlowCallWatch.class);
    /** A call running this long is reported first. */
    public static final Duration FIRST_REPORT_AFTER = Duration.ofMinutes(1);

    private final String workerId;
    private final long firstReportNanos;
    private final ConsumerMetrics metrics;
    /** Running calls already reported, with the running time at which they are reported next. */
    private final Map<ShardConsumer.RunningCall, Long> nextReportNanos = new HashMap<>();

    public SlowCallWatch(String workerId, Duration firstReportAfter, ConsumerMetrics metrics) {
        this.workerId = workerId;
        this.firstReportNanos = firstReportAfter.toNanos();
        this.metrics = metrics;
    }

    /** Reports the calls of {@code consumers} that crossed a threshold since the last check. */
    public synchronized void check(Collection<ShardConsumer> consumers, long nowNanos) {
        Set<ShardConsumer.RunningCall> running = new HashSet<>();
        for (ShardConsumer c : consumers) {
            ShardConsumer.RunningCall call = c.runningCall();
            if (call == null) {
                continue;
            }
            running.add(call);
            long runningFor = nowNanos - call.startedNanos();
            long next = nextReportNanos.getOrDefault(call, firstReportNanos);
            if (runningFor < next) {
                continue;
            }
            nextReportNanos.put(call, Math.max(next * 2, runningFor));
            Duration d = Duration.ofNanos(runningFor);
            log.warn("Worker {}: {} of the processor of shard {} has been running for {}; the shard delivers "
                    + "nothing meanwhile and keeps its lease (a blocked processor blocks its shard; shutdown waits for"
                    + " it, close(timeout) does not)", workerId, call.call(), call.shardId(), d);
            metrics.slowProcessorCall(call.shardId(), call.call(), d);
        }
        nextReportNanos.keySet().retainAll(running);
    }
}
