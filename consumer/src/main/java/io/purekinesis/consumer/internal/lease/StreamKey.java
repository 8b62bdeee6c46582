package io.purekinesis.consumer.internal.lease;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stream as KCL's multi-stream mode names it, {@code account:stream:creationEpoch} (KCL's {@code StreamIdentifier}
 * serialized; the epoch in seconds): the prefix of the stream's lease keys ({@code prefix:shardId}), and the value of
 * KCL's {@code streamName} attribute on its rows. A stream deleted and created again under the same name has another
 * epoch, so its old rows never pass for the new stream's.
 */
public record StreamKey(String account, String streamName, long creationEpoch) {

    private static final Pattern SERIALIZED = Pattern.compile("([0-9]+):([a-zA-Z0-9_.-]{1,128}):([0-9]+)");
    private static final Pattern LEASE_KEY = Pattern.compile("([0-9]+:[a-zA-Z0-9_.-]{1,128}:[0-9]+):([^:]+)");

    public StreamKey {
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(streamName, "streamName");
    }

    /** The key of the stream {@code identity} names: account from its ARN, epoch from its creation time. */
    public static StreamKey of(StreamIdentity identity) {
        String[] arn = identity.streamArn().split(":", 6);
        String account = arn.length == 6 ? arn[4] : "";
        return new StreamKey(account, identity.streamName(), identity.created().getEpochSecond());
    }

    /** {@code account:stream:creationEpoch}. */
    public String serialize() {
        return account + ":" + streamName + ":" + creationEpoch;
    }

    /** The lease key of shard {@code shardId} of this stream. */
    public String leaseKey(String shardId) {
        return serialize() + ":" + shardId;
    }

    /** Same account and name: the same stream, or one created again under its name. */
    public boolean sameNameAs(StreamKey other) {
        return account.equals(other.account) && streamName.equals(other.streamName);
    }

    /** The stream a serialized {@code account:stream:creationEpoch} names; null when it is not one. */
    public static StreamKey parse(String serialized) {
        Matcher m = serialized == null ? null : SERIALIZED.matcher(serialized);
        if (m == null || !m.matches()) {
            return null;
        }
        try {
            return new StreamKey(m.group(1), m.group(2), Long.parseLong(m.group(3)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The stream of a multi-stream lease key; null when it is not one. */
    public static StreamKey ofLeaseKey(String leaseKey) {
        Matcher m = leaseKey == null ? null : LEASE_KEY.matcher(leaseKey);
        return m != null && m.matches() ? parse(m.group(1)) : null;
    }

    /** The shard id of a lease key: after the last ':' of a multi-stream key, else the key itself. */
    public static String shardIdOf(String leaseKey) {
        return leaseKey.substring(leaseKey.lastIndexOf(':') + 1);
    }

    /**
     * The key of shard {@code shardId} of the same stream as {@code leaseKey} (a parent or child: row attributes
     * name them by shard id, as KCL's do).
     */
    public static String siblingKey(String leaseKey, String shardId) {
        int i = leaseKey.lastIndexOf(':');
        return i < 0 ? shardId : leaseKey.substring(0, i + 1) + shardId;
    }

    @Override
    public String toString() {
        return serialize();
    }
}
