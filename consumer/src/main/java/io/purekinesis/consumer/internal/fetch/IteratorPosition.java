package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Where a shard's next iterator starts: after the last record read; else at the checkpoint (AT_SEQUENCE_NUMBER, so
 * a checkpoint inside an aggregate reads that aggregate again); else at the lease's start sentinel. A LATEST
 * iterator that expired before any record was read is replaced with AT_TIMESTAMP a margin before the first one
 * was requested, never with a new LATEST, which would skip what arrived meanwhile. Touched only by the fetcher's
 * task chain.
 */
final class IteratorPosition {

    private static final Logger log = LoggerFactory.getLogger(IteratorPosition.class);
    /**
     * How far before the first LATEST iterator's request an expired iterator is replaced with AT_TIMESTAMP: covers
     * clock skew between this host and Kinesis, so records that arrived meanwhile are never skipped (a few older
     * ones may be delivered: at-least-once).
     */
    static final Duration LATEST_RESTART_CLOCK_SKEW_MARGIN = Duration.ofSeconds(60);

    private final String streamName;
    private final String shardId;
    private final InitialPosition initialPosition;
    /** The lease's start sentinel when it has no checkpoint; else null. */
    private final ExtendedSequenceNumber startSentinel;
    private String lastFetchedSequenceNumber;
    /** The last position delivered or checkpointed: records at or before it are dropped. */
    private ExtendedSequenceNumber floor;
    /** When the first LATEST iterator of this lease was requested (set once it was obtained); null before. */
    private Instant latestIteratorRequestedAt;

    IteratorPosition(String streamName, String shardId, ExtendedSequenceNumber checkpoint,
            InitialPosition initialPosition) {
        this.streamName = streamName;
        this.shardId = shardId;
        this.initialPosition = initialPosition;
        if (checkpoint.isSentinel()) {
            this.startSentinel = checkpoint;
            this.floor = null;
        } else {
            this.startSentinel = null;
            this.floor = checkpoint;
        }
    }

    GetShardIteratorRequest request() {
        GetShardIteratorRequest.Builder b = GetShardIteratorRequest.builder().streamName(streamName).shardId(shardId);
        if (lastFetchedSequenceNumber != null) {
            return b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                    .startingSequenceNumber(lastFetchedSequenceNumber).build();
        }
        if (floor != null) {
            return b.shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
                    .startingSequenceNumber(floor.sequenceNumber()).build();
        }
        if (startSentinel == ExtendedSequenceNumber.LATEST) {
            if (latestIteratorRequestedAt != null) {
                // the first LATEST iterator expired before any record was read: a new LATEST iterator would skip
                // what arrived meanwhile, so read from (a margin before) the time the first one was requested
                return b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                        .timestamp(latestIteratorRequestedAt.minus(LATEST_RESTART_CLOCK_SKEW_MARGIN)).build();
            }
            return b.shardIteratorType(ShardIteratorType.LATEST).build();
        }
        if (startSentinel == ExtendedSequenceNumber.AT_TIMESTAMP) {
            Instant ts = initialPosition.timestamp().orElse(null);
            if (ts != null) {
                return b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(ts).build();
            }
            log.warn("Shard {} has checkpoint AT_TIMESTAMP but no timestamp is configured; reading from "
                    + "TRIM_HORIZON", shardId);
        }
        return b.shardIteratorType(ShardIteratorType.TRIM_HORIZON).build();
    }

    /**
     * An iterator for {@code request} was obtained.
     *
     * @param requestedAt taken before the request: LATEST positions at the time Kinesis serves it, not earlier
     */
    void obtained(GetShardIteratorRequest request, Instant requestedAt) {
        if (latestIteratorRequestedAt == null && request.shardIteratorType() == ShardIteratorType.LATEST) {
            latestIteratorRequestedAt = requestedAt;
        }
    }

    ExtendedSequenceNumber floor() {
        return floor;
    }

    String lastFetchedSequenceNumber() {
        return lastFetchedSequenceNumber;
    }

    /** Records up to {@code lastFetched} were read, user records up to {@code floor} queued. */
    void advance(String lastFetched, ExtendedSequenceNumber floor) {
        this.lastFetchedSequenceNumber = lastFetched;
        this.floor = floor;
    }

    /** Where a new iterator starts, for logs. */
    String describe() {
        return lastFetchedSequenceNumber != null ? lastFetchedSequenceNumber : "the checkpoint";
    }
}
