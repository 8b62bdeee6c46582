package io.purekinesis.consumer.internal.lease;

import java.time.Instant;
import java.util.Objects;

/**
 * Which stream a lease row belongs to: the stream's ARN (account, region and name) and when Kinesis created it, so
 * a stream deleted and created again under the same name is told apart from the one whose checkpoints the rows
 * hold. Written on lease rows as {@link LeaseAttributes#STREAM_ARN} and {@link LeaseAttributes#STREAM_CREATED}; a
 * multi-stream lease key ({@code account:stream:creationEpoch:shardId}) can be derived from it.
 */
public record StreamIdentity(String streamArn, Instant created) {

    public StreamIdentity {
        Objects.requireNonNull(streamArn, "streamArn");
        Objects.requireNonNull(created, "created");
    }

    /** The stream's name, the part of the ARN after {@code stream/}. */
    public String streamName() {
        int i = streamArn.lastIndexOf("stream/");
        return i < 0 ? streamArn : streamArn.substring(i + "stream/".length());
    }

    /**
     * Same ARN and creation time to the millisecond: finer digits are dropped, so clients that decode the time with
     * another precision (the SDK's CBOR and JSON protocols) still agree.
     */
    public boolean isSameStreamAs(StreamIdentity other) {
        return streamArn.equals(other.streamArn) && created.toEpochMilli() == other.created.toEpochMilli();
    }

    /** Same ARN, created at another time: the stream was deleted and created again. */
    public boolean isRecreationOf(StreamIdentity other) {
        return streamArn.equals(other.streamArn) && !isSameStreamAs(other);
    }

    @Override
    public String toString() {
        return streamArn + " (created " + created + ")";
    }
}
