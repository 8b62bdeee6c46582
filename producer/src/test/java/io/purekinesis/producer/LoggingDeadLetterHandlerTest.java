package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LoggingDeadLetterHandlerTest {

    @Test
    void anOutageLogsOneLineAndCountsTheRestInsteadOfALinePerRecord() {
        LoggingDeadLetterHandler handler = new LoggingDeadLetterHandler();
        FailedRecord record = new FailedRecord("s", "user-4711", null, "secret".getBytes(), List.of(),
                FailureReason.TTL_EXPIRED, "ProvisionedThroughputExceededException", "slow down");
        for (int i = 0; i < 1_000; i++) {
            handler.handle(record);
        }
        assertEquals(999L, handler.unreported(),
                "the first record is reported at WARN, the other 999 wait for the next interval");
    }
}
