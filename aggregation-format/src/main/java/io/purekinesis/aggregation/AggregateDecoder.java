package io.purekinesis.aggregation;

import io.purekinesis.aggregation.MalformedAggregateException.Reason;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns the data of one Kinesis record into its user records. Data without the magic prefix is a plain
 * record and comes back as one user record with sub-sequence number 0; it is never an error.
 *
 * <p>The protobuf body is read by a hand-written parser on protobuf-java's {@code CodedInputStream} (no generated
 * code, so any runtime from 3.25 to 4.x does). It accepts what protobuf's generated parser accepts (any field order,
 * unknown fields skipped) and refuses what it refuses, a missing required field included; a known field with
 * another wire type, which protobuf would keep as an unknown field and so drop, is refused too. Each user record's
 * data is copied once out of {@code data}.
 */
public final class AggregateDecoder {

    /** What to do with a blob that starts with the magic bytes but is not a valid aggregate. */
    public enum Mode {
        /** Throw {@link MalformedAggregateException} naming what is wrong. */
        STRICT,
        /**
         * Do as KCL does: a blob that is too short or whose digest does not match is returned as one plain
         * record (it may be user data that happens to start with the magic bytes). A blob whose digest
         * matches but whose content is invalid was certainly written as an aggregate and still throws.
         */
        LENIENT
    }

    private AggregateDecoder() {
    }

    /** Decodes strictly; see {@link #decode(byte[], String, String, Mode)}. */
    public static List<DecodedRecord> decode(byte[] data, String partitionKey, String explicitHashKey) {
        return decode(data, partitionKey, explicitHashKey, Mode.STRICT);
    }

    /**
     * Decodes the data of one Kinesis record.
     *
     * @param data            the Kinesis record's data
     * @param partitionKey    the Kinesis record's partition key, used for a plain record (may be null when unknown)
     * @param explicitHashKey the Kinesis record's explicit hash key if known, used for a plain record (usually null:
     *                        GetRecords does not return it)
     * @return the user records in order, each with its sub-sequence number
     * @throws MalformedAggregateException in {@link Mode#STRICT} for any invalid aggregate, in {@link Mode#LENIENT}
     *                                     only when the digest matches but the content is invalid
     */
    public static List<DecodedRecord> decode(byte[] data, String partitionKey, String explicitHashKey, Mode mode) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(mode, "mode");
        if (!AggregationFormat.hasMagic(data)) {
            return List.of(plain(data, partitionKey, explicitHashKey));
        }
        int bodyLength = data.length - AggregationFormat.OVERHEAD;
        if (bodyLength < 0) {
            if (mode == Mode.LENIENT) {
                return List.of(plain(data, partitionKey, explicitHashKey));
            }
            throw new MalformedAggregateException(Reason.TRUNCATED, "aggregated record of " + data.length
                    + " bytes is shorter than magic plus digest (" + AggregationFormat.OVERHEAD + " bytes)");
        }
        if (!digestMatches(data, bodyLength)) {
            if (mode == Mode.LENIENT) {
                return List.of(plain(data, partitionKey, explicitHashKey));
            }
            throw digestMismatch(data, bodyLength);
        }
        return userRecords(parse(data, bodyLength));
    }

    private static DecodedRecord plain(byte[] data, String partitionKey, String explicitHashKey) {
        return new DecodedRecord(0, partitionKey, explicitHashKey, data, false);
    }

    private static boolean digestMatches(byte[] data, int bodyLength) {
        MessageDigest md5 = HashKeys.md5Digest();
        md5.update(data, AggregationFormat.MAGIC_LENGTH, bodyLength);
        byte[] expected = md5.digest();
        int trailer = AggregationFormat.MAGIC_LENGTH + bodyLength;
        return Arrays.equals(expected, 0, expected.length, data, trailer, trailer + AggregationFormat.DIGEST_LENGTH);
    }

    /**
     * A cut-off aggregate also fails the digest check; tell the two apart by where parsing ends. A complete
     * aggregate whose bytes were changed still has a body (all but the last 16 bytes) that usually parses, and
     * when it does not, the bytes after the magic parse no better only if the change hit a length. A cut-off one
     * ends in the middle of a field both ways.
     */
    private static MalformedAggregateException digestMismatch(byte[] data, int bodyLength) {
        if (endsMidField(data, bodyLength) && endsMidField(data, data.length - AggregationFormat.MAGIC_LENGTH)) {
            return new MalformedAggregateException(Reason.TRUNCATED, "aggregated record of " + data.length
                    + " bytes ends in the middle of a protobuf field (cut off?)");
        }
        return new MalformedAggregateException(Reason.DIGEST_MISMATCH,
                "MD5 trailer does not match the protobuf body of an aggregated record of " + data.length + " bytes");
    }

    private static boolean endsMidField(byte[] data, int length) {
        try {
            AggregateBody.parse(data, AggregationFormat.MAGIC_LENGTH, length);
            return false;
        } catch (AggregateBody.InvalidBodyException e) {
            return e.truncated();
        }
    }

    private static AggregateBody parse(byte[] data, int bodyLength) {
        try {
            return AggregateBody.parse(data, AggregationFormat.MAGIC_LENGTH, bodyLength);
        } catch (AggregateBody.InvalidBodyException e) {
            throw new MalformedAggregateException(Reason.INVALID_PROTOBUF,
                    "digest matches but the body is not a valid AggregatedRecord: " + e.getMessage(), e);
        }
    }

    private static List<DecodedRecord> userRecords(AggregateBody aggregate) {
        int pkCount = aggregate.partitionKeyTable.size();
        int ehkCount = aggregate.explicitHashKeyTable.size();
        List<DecodedRecord> out = new ArrayList<>(aggregate.recordCount);
        for (int i = 0; i < aggregate.recordCount; i++) {
            long pkIndex = aggregate.partitionKeyIndexes[i];
            if (pkIndex < 0 || pkIndex >= pkCount) {
                throw new MalformedAggregateException(Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE, "record " + i
                        + " has partition_key_index " + Long.toUnsignedString(pkIndex) + " but the table has "
                        + pkCount + " entries");
            }
            String explicitHashKey = null;
            if (aggregate.hasExplicitHashKeyIndex[i]) {
                long ehkIndex = aggregate.explicitHashKeyIndexes[i];
                if (ehkIndex < 0 || ehkIndex >= ehkCount) {
                    throw new MalformedAggregateException(Reason.EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE, "record " + i
                            + " has explicit_hash_key_index " + Long.toUnsignedString(ehkIndex)
                            + " but the table has " + ehkCount + " entries");
                }
                explicitHashKey = aggregate.explicitHashKeyTable.get((int) ehkIndex);
            }
            out.add(new DecodedRecord(i, aggregate.partitionKeyTable.get((int) pkIndex), explicitHashKey,
                    aggregate.data[i], true));
        }
        return out;
    }
}
