package io.purekinesis.consumer;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** Where a shard without a checkpoint starts: the oldest record, the newest, or a point in time. */
public final class InitialPosition {

    private static final InitialPosition TRIM_HORIZON = new InitialPosition(ExtendedSequenceNumber.TRIM_HORIZON, null);
    private static final InitialPosition LATEST = new InitialPosition(ExtendedSequenceNumber.LATEST, null);

    private final ExtendedSequenceNumber sentinel;
    private final Instant timestamp;

    private InitialPosition(ExtendedSequenceNumber sentinel, Instant timestamp) {
        this.sentinel = sentinel;
        this.timestamp = timestamp;
    }

    /** Start a new lease at the oldest record the stream still keeps. */
    public static InitialPosition trimHorizon() {
        return TRIM_HORIZON;
    }

    /** Start a new lease at the records added after its first read (the default). */
    public static InitialPosition latest() {
        return LATEST;
    }

    /**
     * Start a new lease at the first record added at or after {@code timestamp}; throws NullPointerException if it is
     * null.
     */
    public static InitialPosition atTimestamp(Instant timestamp) {
        return new InitialPosition(ExtendedSequenceNumber.AT_TIMESTAMP, Objects.requireNonNull(timestamp, "timestamp"));
    }

    /** The checkpoint sentinel a new lease gets: TRIM_HORIZON, LATEST or AT_TIMESTAMP. */
    public ExtendedSequenceNumber sentinel() {
        return sentinel;
    }

    /** Present for {@link #atTimestamp}. */
    public Optional<Instant> timestamp() {
        return Optional.ofNullable(timestamp);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InitialPosition && ((InitialPosition) o).sentinel == sentinel
                && Objects.equals(((InitialPosition) o).timestamp, timestamp);
    }

    @Override
    public int hashCode() {
        return sentinel.hashCode() * 31 + Objects.hashCode(timestamp);
    }

    @Override
    public String toString() {
        return timestamp == null ? sentinel.sequenceNumber() : sentinel.sequenceNumber() + "(" + timestamp + ")";
    }
}
