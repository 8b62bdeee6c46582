package io.purekinesis.producer.internal;

import io.purekinesis.internal.listener.ListenerGuard;
import io.purekinesis.producer.ProducerMetrics;
import org.slf4j.LoggerFactory;

/**
 * Calls the user's {@link ProducerMetrics} through a {@link ListenerGuard}: what it throws, Errors included, is
 * reported (WARN once per method, then DEBUG) and swallowed; a metric call on the sender loop must never strand a
 * batch it is building. Each call catches itself rather than pass a lambda: these run per call and per batch.
 */
public final class SafeMetrics implements ProducerMetrics {

    private final ProducerMetrics delegate;
    private final ListenerGuard guard = new ListenerGuard(LoggerFactory.getLogger(SafeMetrics.class),
            "ProducerMetrics");

    public SafeMetrics(ProducerMetrics delegate) {
        this.delegate = delegate;
    }

    @Override
    public void userRecordsPut(String stream, int count) {
        try {
            delegate.userRecordsPut(stream, count);
        } catch (Throwable e) {
            guard.failed("userRecordsPut", e);
        }
    }

    @Override
    public void userRecordsFailed(String stream, int count) {
        try {
            delegate.userRecordsFailed(stream, count);
        } catch (Throwable e) {
            guard.failed("userRecordsFailed", e);
        }
    }

    @Override
    public void userRecordsDeadLettered(String stream, int count) {
        try {
            delegate.userRecordsDeadLettered(stream, count);
        } catch (Throwable e) {
            guard.failed("userRecordsDeadLettered", e);
        }
    }

    @Override
    public void kinesisRecordsPut(String stream, int count) {
        try {
            delegate.kinesisRecordsPut(stream, count);
        } catch (Throwable e) {
            guard.failed("kinesisRecordsPut", e);
        }
    }

    @Override
    public void putRecordsCall(String stream, int entries, int failedEntries, long durationMillis) {
        try {
            delegate.putRecordsCall(stream, entries, failedEntries, durationMillis);
        } catch (Throwable e) {
            guard.failed("putRecordsCall", e);
        }
    }

    @Override
    public void retries(String stream, int entries) {
        try {
            delegate.retries(stream, entries);
        } catch (Throwable e) {
            guard.failed("retries", e);
        }
    }

    @Override
    public void bufferingTime(String stream, long millis) {
        try {
            delegate.bufferingTime(stream, millis);
        } catch (Throwable e) {
            guard.failed("bufferingTime", e);
        }
    }

    @Override
    public void throttled(String stream, String shardId) {
        try {
            delegate.throttled(stream, shardId);
        } catch (Throwable e) {
            guard.failed("throttled", e);
        }
    }

    @Override
    public void outstanding(long records, long bytes) {
        try {
            delegate.outstanding(records, bytes);
        } catch (Throwable e) {
            guard.failed("outstanding", e);
        }
    }
}
