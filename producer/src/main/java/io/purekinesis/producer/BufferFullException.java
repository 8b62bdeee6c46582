package io.purekinesis.producer;

/**
 * Thrown by {@code add} when the outstanding-bytes or outstanding-records budget has no room: at once in
 * {@link BackpressureMode#FAIL_FAST}, after {@link ProducerConfig#addTimeout()} in {@link BackpressureMode#BLOCK}.
 * Nothing already accepted is affected.
 */
public class BufferFullException extends KinesisProducerException {

    private static final long serialVersionUID = 1L;

    /** See {@link #requestedBytes()}. */
    private final long requestedBytes;
    /** See {@link #limitBytes()}. */
    private final long limitBytes;
    /** See {@link #availableBytes()}. */
    private final long availableBytes;

    /** Thrown by the producer; the byte figures are reported by the accessors below. */
    public BufferFullException(String message, long requestedBytes, long limitBytes, long availableBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.limitBytes = limitBytes;
        this.availableBytes = availableBytes;
    }

    /** Bytes the rejected record needed. */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** {@link ProducerConfig#maxOutstandingBytes()}. */
    public long limitBytes() {
        return limitBytes;
    }

    /** Bytes free when the record was rejected. */
    public long availableBytes() {
        return availableBytes;
    }
}
