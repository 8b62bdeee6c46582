package io.purekinesis.producer.internal;

import io.purekinesis.producer.ProducerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the user's {@link ProducerMetrics}, logging (rarely) and swallowing what it throws, Errors included: a
 * listener built against another Micrometer version throws {@code NoClassDefFoundError}, and a metric call on the
 * sender loop must never strand a batch it is building.
 */
public final class SafeMetrics implements ProducerMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(SafeMetrics.class);

    private final ProducerMetrics delegate;
    private volatile boolean warned;

    public SafeMetrics(ProducerMetrics delegate) {
        this.delegate = delegate;
    }

    private void failed(Throwable e) {
        if (!warned) {
            warned = true;
            LOG.warn("ProducerMetrics listener threw; further failures are logged at DEBUG", e);
        } else {
            LOG.debug("ProducerMetrics listener threw", e);
        }
    }

    @Override
    public void userRecordsPut(String stream, int count) {
        try {
            delegate.userRecordsPut(stream, count);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void userRecordsFailed(String stream, int count) {
        try {
            delegate.userRecordsFailed(stream, count);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void userRecordsDeadLettered(String stream, int count) {
        try {
            delegate.userRecordsDeadLettered(stream, count);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void kinesisRecordsPut(String stream, int count) {
        try {
            delegate.kinesisRecordsPut(stream, count);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void putRecordsCall(String stream, int entries, int failedEntries, long durationMillis) {
        try {
            delegate.putRecordsCall(stream, entries, failedEntries, durationMillis);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void retries(String stream, int entries) {
        try {
            delegate.retries(stream, entries);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void bufferingTime(String stream, long millis) {
        try {
            delegate.bufferingTime(stream, millis);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void throttled(String stream, String shardId) {
        try {
            delegate.throttled(stream, shardId);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }

    @Override
    public void outstanding(long records, long bytes) {
        try {
            delegate.outstanding(records, bytes);
        } catch (RuntimeException | Error e) {
            failed(e);
        }
    }
}
