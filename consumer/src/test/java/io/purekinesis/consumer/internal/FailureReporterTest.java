package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.purekinesis.consumer.ConsumerMetrics;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

class FailureReporterTest {

    private final List<String> reported = new CopyOnWriteArrayList<>();
    private final ManualScheduler time = new ManualScheduler();
    private final ConsumerMetrics metrics = new ConsumerMetrics() {
        @Override
        public void nonTransientFailure(String operation, String resource, Throwable cause) {
            reported.add(operation + " on " + resource);
        }
    };

    private static Throwable denied(String requestId) {
        return new CompletionException(new AwsCallException("kinesis:GetRecords", "shard s of stream x",
                KinesisException.builder().statusCode(400).requestId(requestId).message("denied " + requestId)
                        .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException").build())
                        .build()));
    }

    @Test
    void everyNonTransientFailureIsCountedTransientOnesAreNot() {
        FailureReporter r = new FailureReporter(LoggerFactory.getLogger(FailureReporterTest.class), metrics, time);
        assertEquals(Failures.Kind.TRANSIENT, r.report("GetRecords", "retrying", SdkClientException.create("reset")));
        for (int i = 0; i < 5; i++) {
            assertEquals(Failures.Kind.AUTH, r.report("GetRecords", "retrying", denied("req-" + i)));
            time.advance(Duration.ofSeconds(1));
        }
        assertEquals(5, reported.size(), "the metric counts each one");
        assertEquals("kinesis:GetRecords on shard s of stream x", reported.get(0));
        assertEquals(4, r.suppressed(), "logged once; the same error again within a minute is not");
        time.advance(FailureReporter.REPEAT_INTERVAL);
        r.report("GetRecords", "retrying", denied("req-late"));
        assertEquals(0, r.suppressed(), "logged again after a minute, with the count of the ones in between");
        r.recovered();
        r.report("GetRecords", "retrying", denied("req-again"));
        assertEquals(0, r.suppressed(), "a new streak is logged at once");
    }
}
