package io.purekinesis.producer.internal.shardmap;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kinesis stream names (1-128 of [a-zA-Z0-9_.-]) and stream ARNs, and the identity a spelling names: a stream is
 * identified by its name within the producer's region and the account of its credentials, so a name and an ARN of
 * the same stream are one stream. Parsing costs a regex: callers cache the result per spelling.
 */
public final class StreamNames {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final Pattern ARN = Pattern.compile(
            "arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):([0-9]{12}):stream/([a-zA-Z0-9_.-]{1,128})");

    /**
     * What a spelling names.
     *
     * @param name the stream's name (the pipeline key)
     * @param arn the ARN as spelled, or null when spelled by name
     * @param region the ARN's region, or null
     * @param account the ARN's account, or null
     */
    public record StreamRef(String name, String arn, String region, String account) {
    }

    private StreamNames() {
    }

    public static boolean isArn(String stream) {
        return stream.startsWith("arn:");
    }

    /** @throws IllegalArgumentException naming the rule */
    public static void validate(String stream) {
        parse(stream, null);
    }

    /**
     * Validates a spelling and says which stream it names.
     *
     * @param producerRegion the region of the producer's Kinesis client, or null when unknown (no region check)
     * @throws IllegalArgumentException for a malformed name or ARN, or an ARN of another region than the producer's
     */
    public static StreamRef parse(String stream, String producerRegion) {
        if (stream == null) {
            throw new IllegalArgumentException("stream must not be null");
        }
        if (!isArn(stream)) {
            if (NAME.matcher(stream).matches()) {
                return new StreamRef(stream, null, null, null);
            }
            throw malformed(stream);
        }
        Matcher m = ARN.matcher(stream);
        if (!m.matches()) {
            throw malformed(stream);
        }
        String region = m.group(2);
        if (producerRegion != null && !producerRegion.equals(region)) {
            throw new IllegalArgumentException("stream ARN " + stream + " is in region " + region + ", but this "
                    + "producer's Kinesis client is for region " + producerRegion + ": a producer writes to the "
                    + "streams of its own region; use a producer whose region (ProducerConfig.region or the "
                    + "kinesisClient's) is " + region);
        }
        return new StreamRef(m.group(4), stream, region, m.group(3));
    }

    private static IllegalArgumentException malformed(String stream) {
        return new IllegalArgumentException("stream must be a stream name of 1-128 characters [a-zA-Z0-9_.-] or a "
                + "Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME), was '"
                + (stream.length() > 140 ? stream.substring(0, 140) + "..." : stream) + "' (" + stream.length()
                + " characters)");
    }
}
