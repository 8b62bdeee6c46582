package io.purekinesis.producer;

/**
 * Receives every record that will not be delivered (non-retryable error, TTL or attempts exhausted, unknown
 * stream, close deadline), after its future failed. Runs on the producer's callback executor, never on the
 * sender thread; an exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface DeadLetterHandler {

    /**
     * Takes one undelivered record: store it, resend it later, or count it. Called once per record, on the
     * producer's callback executor (several records may be handled concurrently by a multi-threaded executor); it
     * should return quickly, since the producer's close waits for pending handlers.
     */
    void handle(FailedRecord record);

    /**
     * The default: at most one WARN line every 10 s, with stream, reason and last error and a count of the records
     * not reported since; each record's partition key at DEBUG. Never the data. It keeps nothing: configure your
     * own handler to store undelivered records.
     */
    static DeadLetterHandler logging() {
        return new LoggingDeadLetterHandler();
    }
}
