package io.purekinesis.producer.internal.shardmap;

import java.util.regex.Pattern;

/** Kinesis stream names (1-128 of [a-zA-Z0-9_.-]) and stream ARNs. */
public final class StreamNames {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final Pattern ARN = Pattern.compile(
            "arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[a-zA-Z0-9_.-]{1,128}");

    private StreamNames() {
    }

    public static boolean isArn(String stream) {
        return stream.startsWith("arn:");
    }

    /** @throws IllegalArgumentException naming the rule */
    public static void validate(String stream) {
        if (stream == null) {
            throw new IllegalArgumentException("stream must not be null");
        }
        if (isArn(stream) ? !ARN.matcher(stream).matches() : !NAME.matcher(stream).matches()) {
            throw new IllegalArgumentException("stream must be a stream name of 1-128 characters [a-zA-Z0-9_.-] or a "
                    + "Kinesis stream ARN, was '" + (stream.length() > 140 ? stream.substring(0, 140) + "..." : stream)
                    + "' (" + stream.length() + " characters)");
        }
    }
}
