package io.purekinesis.producer.internal.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.purekinesis.producer.FailureReason;
import org.junit.jupiter.api.Test;

class StreamFailureLogTest {

    @Test
    void aLineEachForTheFirstFailuresOfAMinuteThenOneSummary() {
        StreamFailureLog log = new StreamFailureLog();
        long now = 1_000_000;
        for (int i = 0; i < StreamFailureLog.LINES_PER_WINDOW; i++) {
            log.failed("bad-" + i, FailureReason.STREAM_NOT_FOUND, "not found", now);
        }
        assertEquals(0, log.suppressed(), "the first ones get their own line");
        for (int i = 0; i < 990; i++) {
            log.failed("more-" + i, FailureReason.STREAM_NOT_FOUND, "not found", now + i);
        }
        assertEquals(990, log.suppressed(), "the rest are counted");

        log.tick(now + StreamFailureLog.WINDOW_MILLIS - 1);
        assertEquals(990, log.suppressed(), "the summary waits for the end of the minute");
        log.tick(now + StreamFailureLog.WINDOW_MILLIS);
        assertEquals(0, log.suppressed(), "summarised once the minute ended");

        // a new minute: its own lines again
        log.failed("later", FailureReason.STREAM_NOT_FOUND, "not found", now + StreamFailureLog.WINDOW_MILLIS + 1);
        assertEquals(0, log.suppressed());
    }

    @Test
    void aFailureAfterTheMinuteSummarisesTheOldWindowAndStartsANewOne() {
        StreamFailureLog log = new StreamFailureLog();
        for (int i = 0; i <= StreamFailureLog.LINES_PER_WINDOW; i++) {
            log.failed("bad-" + i, FailureReason.STREAM_NOT_FOUND, "not found", 0);
        }
        assertEquals(1, log.suppressed());
        log.failed("next", FailureReason.NOT_AUTHORIZED, "denied", StreamFailureLog.WINDOW_MILLIS);
        assertEquals(0, log.suppressed(), "the old window's count went into its summary; this one has a line");
    }

    @Test
    void closingWritesWhatIsCounted() {
        StreamFailureLog log = new StreamFailureLog();
        for (int i = 0; i <= StreamFailureLog.LINES_PER_WINDOW; i++) {
            log.failed("bad-" + i, FailureReason.STREAM_NOT_FOUND, "not found", 0);
        }
        assertEquals(1, log.suppressed());
        log.flush();
        assertEquals(0, log.suppressed());
    }
}
