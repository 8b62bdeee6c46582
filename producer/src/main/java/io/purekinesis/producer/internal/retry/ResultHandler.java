package io.purekinesis.producer.internal.retry;

import io.purekinesis.internal.aws.AwsErrors;
import io.purekinesis.internal.retry.Backoff;
import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.batching.PutBatch;
import io.purekinesis.producer.internal.batching.RoutingFeedback;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * Handles the answer to one PutRecords call, on the SDK thread that completed it: records each entry's attempt,
 * completes the entries that succeeded at once, puts back ONLY the entries whose result carries an ErrorCode (or
 * every entry when the whole call failed) for another attempt after a backoff, and fails and dead-letters entries
 * whose error is not retryable or whose attempts ran out.
 */
public final class ResultHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ResultHandler.class);
    /** The error code recorded for an entry answered without error code, shard id or sequence number. */
    static final String INCOMPLETE_RESULT = "IncompleteResult";

    private final Clock clock;
    private final Backoff backoff;
    private final int maxAttempts;
    private final Completer completer;
    private final ProducerMetrics metrics;

    /** @param maxAttempts 0 for no limit but the TTL */
    public ResultHandler(Clock clock, Backoff backoff, int maxAttempts, Completer completer,
            ProducerMetrics metrics) {
        this.clock = clock;
        this.backoff = backoff;
        this.maxAttempts = maxAttempts;
        this.completer = completer;
        this.metrics = metrics;
    }

    /**
     * Sorts the answer to {@code batch}; wrong shards and failed streams go to the batch's
     * {@link PutBatch#routing() stream}, retries back to its collector.
     *
     * @param response null when {@code failure} is not
     */
    public void onComplete(PutBatch batch, long startMillis, PutRecordsResponse response, Throwable failure) {
        List<KinesisEntry> retries = new ArrayList<>(0);
        try {
            handle(batch, batch.routing(), startMillis, response, failure, retries);
        } catch (RuntimeException | Error e) {
            // A bug must not strand the batch: its undecided records fail (a decided record is skipped by the
            // completer), and the finally below frees its shards.
            LOG.error("Handling a PutRecords answer for stream {} failed; failing its undecided records",
                    batch.stream(), e);
            for (KinesisEntry entry : batch.entries()) {
                if (!retries.contains(entry)) {
                    completer.fail(entry.stream(), entry.records(), entry.attempts(),
                            FailureReason.NON_RETRYABLE_ERROR, e.getClass().getSimpleName(),
                            String.valueOf(e.getMessage()), e);
                }
            }
        } finally {
            if (!batch.complete(retries)) {
                for (KinesisEntry e : retries) {
                    Attempt last = e.attempts().get(e.attempts().size() - 1);
                    completer.fail(e.stream(), e.records(), e.attempts(), FailureReason.PRODUCER_CLOSED,
                            last.errorCode(), last.errorMessage(), null);
                }
            }
        }
    }

    private void handle(PutBatch batch, RoutingFeedback routing, long startMillis, PutRecordsResponse response,
            Throwable failure, List<KinesisEntry> retries) {
        long now = clock.millis();
        Instant started = Instant.ofEpochMilli(startMillis);
        Duration took = Duration.ofMillis(Math.max(0, now - startMillis));
        List<KinesisEntry> entries = batch.entries();
        // One backoff draw per attempt count per call: entries that failed together go again together.
        Map<Integer, Long> delays = new HashMap<>(4);
        int failed = 0;
        if (failure == null && (response == null || response.records().size() != entries.size())) {
            // A malformed answer: treated like any client-side failure of the call (retried).
            failure = SdkClientException.create("PutRecords answered " + (response == null ? "nothing"
                    : response.records().size() + " results") + " for " + entries.size() + " entries");
        }
        if (failure != null) {
            String code = AwsErrors.errorCodeOrType(failure);
            String message = AwsErrors.errorMessage(failure);
            FailureReason permanent = RetryPolicy.permanentReason(code, failure);
            failed = entries.size();
            if (LOG.isDebugEnabled()) {
                LOG.debug("PutRecords of {} entries to {} failed ({}): {}: {}", entries.size(), batch.stream(),
                        permanent == null ? "retrying" : permanent, code, message);
            }
            String reported = reportedMessage(permanent, batch.stream(), code, message, failure);
            if (permanent == FailureReason.STREAM_NOT_FOUND || permanent == FailureReason.NOT_AUTHORIZED) {
                // Before the records fail: whoever sees them fail and adds again must find the stream remembered.
                routing.streamFailed(batch.stream(), permanent, code, reported, AwsErrors.unwrap(failure));
            }
            for (KinesisEntry e : entries) {
                e.addAttempt(new Attempt(started, took, false, code, message));
                if (permanent == null) {
                    scheduleOrExpire(e, now, code, message, retries, delays);
                } else {
                    completer.fail(e.stream(), e.records(), e.attempts(), permanent, code, reported,
                            AwsErrors.unwrap(failure));
                }
            }
        } else {
            List<PutRecordsResultEntry> results = response.records();
            int stored = 0;
            for (int i = 0; i < entries.size(); i++) {
                KinesisEntry e = entries.get(i);
                PutRecordsResultEntry r = results.get(i);
                String code = r.errorCode();
                String message = r.errorMessage();
                if (code == null && (isBlank(r.shardId()) || isBlank(r.sequenceNumber()))) {
                    // Cannot be reported as stored (no place to report): treated as a retryable entry error.
                    code = INCOMPLETE_RESULT;
                    message = "PutRecords reported the entry stored without a shard id or sequence number";
                }
                if (code == null) {
                    stored++;
                    e.addAttempt(new Attempt(started, took, true, null, null));
                    if (e.shardId() == null || e.shardId().isEmpty() || e.shardId().equals(r.shardId())) {
                        completer.succeed(e, r.shardId(), r.sequenceNumber());
                    } else if (e.aggregated()) {
                        routing.aggregateOnWrongShard(e, r.shardId(), r.sequenceNumber());
                    } else {
                        completer.succeed(e, r.shardId(), r.sequenceNumber());
                        routing.shardMapStale(e.stream());
                    }
                } else {
                    failed++;
                    e.addAttempt(new Attempt(started, took, false, code, message));
                    FailureReason permanent = RetryPolicy.permanentReason(code, null);
                    if (permanent == null) {
                        scheduleOrExpire(e, now, code, message, retries, delays);
                    } else {
                        completer.fail(e.stream(), e.records(), e.attempts(), permanent, code,
                                reportedMessage(permanent, e.stream(), code, message, null), null);
                    }
                }
            }
            metrics.kinesisRecordsPut(batch.stream(), stored);
        }
        metrics.putRecordsCall(batch.stream(), entries.size(), failed, took.toMillis());
        if (!retries.isEmpty()) {
            metrics.retries(batch.stream(), retries.size());
        }
    }

    /** Not-authorized failures say what to change; others keep Kinesis' message. */
    private static String reportedMessage(FailureReason permanent, String stream, String code, String message,
            Throwable failure) {
        return permanent == FailureReason.NOT_AUTHORIZED
                ? RetryPolicy.notAuthorizedMessage(stream, "PutRecords", code, message, failure) : message;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isEmpty();
    }

    private void scheduleOrExpire(KinesisEntry e, long now, String code, String message, List<KinesisEntry> retries,
            Map<Integer, Long> delays) {
        int attempts = e.attempts().size();
        if (maxAttempts > 0 && attempts >= maxAttempts) {
            completer.fail(e.stream(), e.records(), e.attempts(), FailureReason.MAX_ATTEMPTS_EXHAUSTED, code,
                    message, null);
            return;
        }
        if (now >= e.expiryMillis()) {
            completer.fail(e.stream(), e.records(), e.attempts(), FailureReason.TTL_EXPIRED, code, message, null);
            return;
        }
        e.notBeforeMillis(now + delays.computeIfAbsent(attempts, backoff::delayMillis));
        retries.add(e);
    }
}
