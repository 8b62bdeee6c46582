package io.purekinesis.aggregation;

import com.google.protobuf.CodedInputStream;
import io.purekinesis.aggregation.MalformedAggregateException.Reason;
import io.purekinesis.aggregation.internal.proto.AggregatedRecordProto.AggregatedRecord;
import io.purekinesis.aggregation.internal.proto.AggregatedRecordProto.Record;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns the data of one Kinesis record into its user records. Data without the magic prefix is a plain
 * record and comes back as one user record with sub-sequence number 0; it is never an error.
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
            AggregatedRecord.parseFrom(CodedInputStream.newInstance(data, AggregationFormat.MAGIC_LENGTH, length));
            return false;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("input ended unexpectedly");
        }
    }

    private static AggregatedRecord parse(byte[] data, int bodyLength) {
        CodedInputStream input = CodedInputStream.newInstance(data, AggregationFormat.MAGIC_LENGTH, bodyLength);
        input.enableAliasing(true); // data fields alias the input until copied out below
        try {
            return AggregatedRecord.parseFrom(input);
        } catch (IOException e) {
            throw new MalformedAggregateException(Reason.INVALID_PROTOBUF,
                    "digest matches but the body is not a valid AggregatedRecord: " + e.getMessage(), e);
        }
    }

    private static List<DecodedRecord> userRecords(AggregatedRecord aggregate) {
        int pkCount = aggregate.getPartitionKeyTableCount();
        int ehkCount = aggregate.getExplicitHashKeyTableCount();
        List<DecodedRecord> out = new ArrayList<>(aggregate.getRecordsCount());
        for (int i = 0; i < aggregate.getRecordsCount(); i++) {
            Record record = aggregate.getRecords(i);
            long pkIndex = record.getPartitionKeyIndex();
            if (pkIndex < 0 || pkIndex >= pkCount) {
                throw new MalformedAggregateException(Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE, "record " + i
                        + " has partition_key_index " + Long.toUnsignedString(pkIndex) + " but the table has "
                        + pkCount + " entries");
            }
            String explicitHashKey = null;
            if (record.hasExplicitHashKeyIndex()) {
                long ehkIndex = record.getExplicitHashKeyIndex();
                if (ehkIndex < 0 || ehkIndex >= ehkCount) {
                    throw new MalformedAggregateException(Reason.EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE, "record " + i
                            + " has explicit_hash_key_index " + Long.toUnsignedString(ehkIndex)
                            + " but the table has " + ehkCount + " entries");
                }
                explicitHashKey = aggregate.getExplicitHashKeyTable((int) ehkIndex);
            }
            out.add(new DecodedRecord(i, aggregate.getPartitionKeyTable((int) pkIndex), explicitHashKey,
                    record.getData().toByteArray(), true));
        }
        return out;
    }
}
