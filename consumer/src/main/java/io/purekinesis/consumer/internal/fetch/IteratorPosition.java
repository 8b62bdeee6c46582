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
 * Where a shard's next iterator (polling) or subscription (fan-out) starts: after the last record read; else at the
 * checkpoint (AT_SEQUENCE_NUMBER, so a checkpoint inside an aggregate reads that aggregate again, and the
 * {@link #floor()} drops what was checkpointed); else at the lease's start sentinel. A LATEST iterator that expired
 * before any record was read is replaced with AT_TIMESTAMP a margin before the first one was requested, never with a
 * new LATEST, which would skip what arrived meanwhile. Touched by one task at a time (the fetcher's task chain, or a
 * subscription under its lock).
 */
public final class IteratorPosition {

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

    /** Where to start: a type, with the sequence number or timestamp it needs (else null). */
    public record Start(ShardIteratorType type, String sequenceNumber, Instant timestamp) {
    }

    public IteratorPosition(String streamName, String shardId, ExtendedSequenceNumber checkpoint,
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
        Start start = next();
        return GetShardIteratorRequest.builder().streamName(streamName).shardId(shardId)
                .shardIteratorType(start.type()).startingSequenceNumber(start.sequenceNumber())
                .timestamp(start.timestamp()).build();
    }

    /** Where the next iterator or subscription starts. */
    public Start next() {
        if (lastFetchedSequenceNumber != null) {
            return new Start(ShardIteratorType.AFTER_SEQUENCE_NUMBER, lastFetchedSequenceNumber, null);
        }
        if (floor != null) {
            return new Start(ShardIteratorType.AT_SEQUENCE_NUMBER, floor.sequenceNumber(), null);
        }
        if (startSentinel == ExtendedSequenceNumber.LATEST) {
            if (latestIteratorRequestedAt != null) {
                // the first LATEST iterator expired before any record was read: a new LATEST iterator would skip
                // what arrived meanwhile, so read from (a margin before) the time the first one was requested
                return new Start(ShardIteratorType.AT_TIMESTAMP, null,
                        latestIteratorRequestedAt.minus(LATEST_RESTART_CLOCK_SKEW_MARGIN));
            }
            return new Start(ShardIteratorType.LATEST, null, null);
        }
        if (startSentinel == ExtendedSequenceNumber.AT_TIMESTAMP) {
            Instant ts = initialPosition.timestamp().orElse(null);
            if (ts != null) {
                return new Start(ShardIteratorType.AT_TIMESTAMP, null, ts);
            }
            log.warn("Shard {} has checkpoint AT_TIMESTAMP but no timestamp is configured; reading from "
                    + "TRIM_HORIZON", shardId);
        }
        return new Start(ShardIteratorType.TRIM_HORIZON, null, null);
    }

    /**
     * An iterator for {@code request} was obtained.
     *
     * @param requestedAt taken before the request: LATEST positions at the time Kinesis serves it, not earlier
     */
    void obtained(GetShardIteratorRequest request, Instant requestedAt) {
        obtained(request.shardIteratorType(), requestedAt);
    }

    /**
     * An iterator or subscription starting at {@code type} was obtained.
     *
     * @param requestedAt taken before the request: LATEST positions at the time Kinesis serves it, not earlier
     */
    public void obtained(ShardIteratorType type, Instant requestedAt) {
        if (latestIteratorRequestedAt == null && type == ShardIteratorType.LATEST) {
            latestIteratorRequestedAt = requestedAt;
        }
    }

    /** The last position delivered or checkpointed: user records at or before it are dropped; null for none. */
    public ExtendedSequenceNumber floor() {
        return floor;
    }

    /** The last Kinesis record read (or a fan-out continuation sequence number); null before any. */
    public String lastFetchedSequenceNumber() {
        return lastFetchedSequenceNumber;
    }

    /** Records up to {@code lastFetched} were read, user records up to {@code floor} queued. */
    public void advance(String lastFetched, ExtendedSequenceNumber floor) {
        this.lastFetchedSequenceNumber = lastFetched;
        this.floor = floor;
    }

    /** Where a new iterator starts, for logs. */
    public String describe() {
        return lastFetchedSequenceNumber != null ? lastFetchedSequenceNumber : "the checkpoint";
    }
}
