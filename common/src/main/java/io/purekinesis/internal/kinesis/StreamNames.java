package io.purekinesis.internal.kinesis;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kinesis stream names (1-128 of [a-zA-Z0-9_.-]) and stream ARNs, and what a spelling names. Parsing costs a regex:
 * callers on a hot path cache the result per spelling.
 */
public final class StreamNames {

    /** What a stream name must match. */
    public static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    /** {@link #NAME} in words, for messages. */
    public static final String NAME_RULE = "a stream name of 1-128 characters [a-zA-Z0-9_.-]";
    private static final Pattern ARN = Pattern.compile(
            "arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):([0-9]{12}):stream/([a-zA-Z0-9_.-]{1,128})");

    /**
     * What a spelling names.
     *
     * @param name the stream's name
     * @param arn the ARN as spelled, or null when spelled by name
     * @param region the ARN's region, or null
     * @param account the ARN's account, or null
     */
    public record StreamRef(String name, String arn, String region, String account) {
    }

    private StreamNames() {
    }

    /** Spelled as an ARN (whether well-formed or not). */
    public static boolean isArn(String stream) {
        return stream.startsWith("arn:");
    }

    /** A well-formed stream name. */
    public static boolean isName(String stream) {
        return stream != null && NAME.matcher(stream).matches();
    }

    /**
     * Validates a stream name or ARN and says which stream it names.
     *
     * @throws IllegalArgumentException for null or a malformed name or ARN, quoting it and the rule
     */
    public static StreamRef parse(String stream) {
        if (stream == null) {
            throw new IllegalArgumentException("stream must not be null");
        }
        if (!isArn(stream)) {
            if (isName(stream)) {
                return new StreamRef(stream, null, null, null);
            }
            throw malformed(stream);
        }
        Matcher m = ARN.matcher(stream);
        if (!m.matches()) {
            throw malformed(stream);
        }
        return new StreamRef(m.group(4), stream, m.group(2), m.group(3));
    }

    private static IllegalArgumentException malformed(String stream) {
        return new IllegalArgumentException("stream must be " + NAME_RULE + " or a Kinesis stream ARN "
                + "(arn:aws:kinesis:REGION:ACCOUNT:stream/NAME), was '"
                + (stream.length() > 140 ? stream.substring(0, 140) + "..." : stream) + "' (" + stream.length()
                + " characters)");
    }
}
