package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.producer.FailureReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs failed streams without flooding the log: each failure's own WARN line for the first
 * {@link #LINES_PER_WINDOW} of a minute, then one WARN line a minute counting the others (a typo in a loop or a
 * multi-tenant application can name thousands of missing streams). Nothing is lost: every record of a failed stream
 * still fails with the full message, and the producer remembers the stream. Sender and SDK threads.
 */
final class StreamFailureLog {

    private static final Logger LOG = LoggerFactory.getLogger(StreamRegistry.class);
    static final int LINES_PER_WINDOW = 10;
    static final long WINDOW_MILLIS = 60_000;

    private long windowStart = Long.MIN_VALUE;
    private int logged;
    private int suppressed;
    private String lastSuppressed;

    /** A stream failed now: logs it, or counts it for the next summary. */
    void failed(String stream, FailureReason reason, String message, long nowMillis) {
        String summary;
        synchronized (this) {
            summary = rollWindow(nowMillis);
            if (logged < LINES_PER_WINDOW) {
                logged++;
            } else {
                suppressed++;
                lastSuppressed = stream;
                stream = null;
            }
        }
        if (summary != null) {
            LOG.warn(summary);
        }
        if (stream != null) {
            LOG.warn("Stream {} failed ({}): {}; its records fail at once for a while", stream, reason, message);
        }
    }

    /** Called once per sender pass: writes the summary of a window that ended. */
    void tick(long nowMillis) {
        String summary;
        synchronized (this) {
            if (suppressed == 0 || nowMillis - windowStart < WINDOW_MILLIS) {
                return;
            }
            summary = rollWindow(nowMillis);
        }
        LOG.warn(summary);
    }

    /** The producer is closing: writes the summary of the current window now. */
    void flush() {
        String summary;
        synchronized (this) {
            summary = rollWindow(Long.MAX_VALUE / 2);
            windowStart = Long.MIN_VALUE;
        }
        if (summary != null) {
            LOG.warn(summary);
        }
    }

    /** Starts a new window if the current one ended; returns the summary of the one that ended, if any. */
    private String rollWindow(long nowMillis) {
        if (windowStart != Long.MIN_VALUE && nowMillis - windowStart < WINDOW_MILLIS) {
            return null;
        }
        String summary = suppressed == 0 ? null : suppressed + " more streams failed within the minute without a "
                + "line each (the last: " + lastSuppressed + "); their records failed with the cause";
        windowStart = nowMillis;
        logged = 0;
        suppressed = 0;
        lastSuppressed = null;
        return summary;
    }

    /** Failures counted for the next summary (tests). */
    synchronized int suppressed() {
        return suppressed;
    }
}
