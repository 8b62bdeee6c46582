package io.purekinesis.consumer.internal;

import io.purekinesis.consumer.ConsumerMetrics;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Reports failures of a call that its owner keeps retrying (a shard's fetch chain, the lease cycles, shard sync):
 * a transient one at WARN; one that will not pass by itself ({@link Failures.Kind#AUTH}, {@link Failures.Kind#FATAL})
 * at ERROR, saying what to change, and to {@link ConsumerMetrics#nonTransientFailure} every time. While the same
 * error repeats, ERROR is logged at most once per {@link #REPEAT_INTERVAL} (with how often it happened meanwhile), so
 * thousands of shards failing alike do not flood the log. One instance per retrying owner; thread-safe.
 */
public final class FailureReporter {

    static final Duration REPEAT_INTERVAL = Duration.ofMinutes(1);

    private final Logger log;
    private final ConsumerMetrics metrics;
    private final Time time;
    private String lastError;
    private long lastErrorNanos;
    private int suppressed;

    public FailureReporter(Logger log, ConsumerMetrics metrics, Time time) {
        this.log = log;
        this.metrics = metrics;
        this.time = time;
    }

    /**
     * @param context what was going on, e.g. "Shard shardId-1: GetRecords"; the log line goes on with "failed"
     * @param next    what happens now, e.g. "retrying in PT1S"
     * @return the failure's kind
     */
    public Failures.Kind report(String context, String next, Throwable e) {
        Failures.Kind kind = Failures.classify(e);
        String described = Failures.describe(e);
        if (kind == Failures.Kind.TRANSIENT) {
            log.warn("{} failed; {}: {}", context, next, described);
            return kind;
        }
        AwsCallException call = Failures.call(e);
        metrics.nonTransientFailure(call == null ? context : call.operation(), call == null ? "" : call.resource(),
                Failures.sdkCause(e));
        String signature = Failures.signature(e);
        int repeats;
        synchronized (this) {
            long now = time.nanoTime();
            if (signature.equals(lastError) && now - lastErrorNanos < REPEAT_INTERVAL.toNanos()) {
                suppressed++;
                return kind;
            }
            repeats = signature.equals(lastError) ? suppressed : 0;
            lastError = signature;
            lastErrorNanos = now;
            suppressed = 0;
        }
        log.error("{} failed ({}; this does not pass by itself); {}{}: {}", context,
                kind == Failures.Kind.AUTH ? "credentials or permissions" : "non-transient", next,
                repeats > 0 ? " (" + repeats + " more times since the last report)" : "", described);
        return kind;
    }

    /** Reports of the same error not logged since the last logged one; for tests. */
    synchronized int suppressed() {
        return suppressed;
    }

    /** The failure is over: the next one is logged at once. */
    public synchronized void recovered() {
        lastError = null;
        suppressed = 0;
    }
}
