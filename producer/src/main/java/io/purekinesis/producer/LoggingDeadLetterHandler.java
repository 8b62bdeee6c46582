package io.purekinesis.producer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default dead-letter handler. An outage can dead-letter millions of records, so it logs at most one WARN
 * line per interval, counting the rest; each record's details (including its partition key, which may identify a
 * person) go to DEBUG only. Data is never logged.
 */
final class LoggingDeadLetterHandler implements DeadLetterHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);
    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong nextWarnAt = new AtomicLong(System.nanoTime());
    private final AtomicLong unreported = new AtomicLong();

    @Override
    public void handle(FailedRecord record) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("Dead-lettered record: stream={} partitionKey={} reason={} attempts={} lastError={}: {}",
                    record.stream(), record.partitionKey(), record.reason(), record.attempts().size(),
                    record.lastErrorCode(), record.lastErrorMessage());
        }
        long now = System.nanoTime();
        long next = nextWarnAt.get();
        if (now - next >= 0 && nextWarnAt.compareAndSet(next, now + INTERVAL_NANOS)) {
            long others = unreported.getAndSet(0);
            LOG.warn("Dead-lettered a record of stream {}: reason={} attempts={} lastError={}: {}{}",
                    record.stream(), record.reason(), record.attempts().size(), record.lastErrorCode(),
                    record.lastErrorMessage(), others == 0 ? "" : " (" + others
                            + " more since the last message; configure a DeadLetterHandler to keep them)");
        } else {
            unreported.incrementAndGet();
        }
    }

    /** Records dead-lettered since the last WARN line. */
    long unreported() {
        return unreported.get();
    }
}
