package io.purekinesis.producer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives every record that will not be delivered (non-retryable error, TTL or attempts exhausted, unknown
 * stream, close deadline), after its future failed. Runs on the producer's callback executor, never on the
 * sender thread; an exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface DeadLetterHandler {

    void handle(FailedRecord record);

    /** The default: one WARN line per record, with stream, partition key, reason and last error, never the data. */
    static DeadLetterHandler logging() {
        Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);
        return record -> log.warn("Dead-lettered record: stream={} partitionKey={} reason={} attempts={} lastError={}: {}",
                record.stream(), record.partitionKey(), record.reason(), record.attempts().size(),
                record.lastErrorCode(), record.lastErrorMessage());
    }
}
