package io.purekinesis.aggregation;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The protobuf body of an aggregated record ({@code AggregatedRecord} of
 * {@code src/main/proto/aggregated_record.proto}), parsed by hand with {@link CodedInputStream}'s primitives.
 * Generated code would refuse every protobuf-java runtime older than the protoc that generated it; these primitives
 * are the same in every runtime from 3.25 to 4.x, so the format works beside whatever protobuf KCL, KPL or the
 * application brings.
 *
 * <p>It accepts what protobuf's generated parser accepts, field order free, the last value of a repeated singular
 * field winning, unknown fields (groups included) skipped, with two differences that make it stricter:
 * <ul>
 *   <li>a known field with another wire type is refused, where protobuf would keep it as an unknown field and so
 *       drop it silently (no conforming writer produces one);</li>
 *   <li>a missing required field ({@code Record.partition_key_index}, {@code Record.data}, {@code Tag.key}) is
 *       refused, as protobuf's {@code parseFrom} does (it checks required fields after parsing).</li>
 * </ul>
 * Tags are read for validity and dropped: KPL never writes them, KCL ignores them.
 *
 * <p>Each user record's data is copied once, out of the caller's array; keys become strings straight from it.
 */
final class AggregateBody {

    /** protobuf-java's default recursion limit: messages and groups nested deeper are refused, as there. */
    private static final int MAX_GROUP_DEPTH = 100;
    /** A varint is at most this long; with at least this much left, the runtime's fast varint reader can't overrun. */
    private static final int MAX_VARINT_LENGTH = 10;

    /** Why a body could not be parsed: cut off (a field runs past the end) or otherwise invalid. */
    static final class InvalidBodyException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean truncated;

        InvalidBodyException(boolean truncated, String message, Throwable cause) {
            super(message, cause);
            this.truncated = truncated;
        }

        /** True when the body ends in the middle of a field, as a cut-off aggregate does. */
        boolean truncated() {
            return truncated;
        }
    }

    final List<String> partitionKeyTable = new ArrayList<>();
    final List<String> explicitHashKeyTable = new ArrayList<>();
    int recordCount;
    long[] partitionKeyIndexes;
    long[] explicitHashKeyIndexes;
    boolean[] hasExplicitHashKeyIndex;
    byte[][] data;

    private final byte[] buffer;
    private final int offset;
    private final CodedInputStream in;
    private String firstMissingRequiredField;

    private AggregateBody(byte[] buffer, int offset, int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.in = CodedInputStream.newInstance(buffer, offset, length);
        int capacity = Math.max(4, Math.min(256, length / 64)); // a guess; grows as needed
        partitionKeyIndexes = new long[capacity];
        explicitHashKeyIndexes = new long[capacity];
        hasExplicitHashKeyIndex = new boolean[capacity];
        data = new byte[capacity][];
    }

    /** Parses {@code length} bytes of {@code buffer} from {@code offset} as an {@code AggregatedRecord}. */
    static AggregateBody parse(byte[] buffer, int offset, int length) throws InvalidBodyException {
        AggregateBody body = new AggregateBody(buffer, offset, length);
        try {
            body.in.pushLimit(length); // so getBytesUntilLimit() counts what is left
            body.readAggregatedRecord();
        } catch (IOException e) {
            // Only from a primitive this class did not guard: an over-long varint, a bad size.
            throw new InvalidBodyException(false, e.getMessage(), e);
        }
        if (body.firstMissingRequiredField != null) {
            throw new InvalidBodyException(false, "missing required field " + body.firstMissingRequiredField, null);
        }
        return body;
    }

    private void readAggregatedRecord() throws IOException, InvalidBodyException {
        while (!in.isAtEnd()) {
            int tag = readTag();
            switch (tag) {
                case AggregatedRecordFields.PARTITION_KEY_TABLE_TAG -> partitionKeyTable.add(readString());
                case AggregatedRecordFields.EXPLICIT_HASH_KEY_TABLE_TAG -> explicitHashKeyTable.add(readString());
                case AggregatedRecordFields.RECORDS_TAG -> readRecord();
                default -> skipUnknownField(tag, AggregatedRecordFields.RECORDS, "AggregatedRecord", 0);
            }
        }
    }

    private void readRecord() throws IOException, InvalidBodyException {
        int limit = in.pushLimit(readLength());
        long partitionKeyIndex = 0;
        boolean hasPartitionKeyIndex = false;
        long explicitHashKeyIndex = 0;
        boolean hasExplicitHashKey = false;
        byte[] recordData = null;
        int tags = 0;
        while (!in.isAtEnd()) {
            int tag = readTag();
            switch (tag) {
                case AggregatedRecordFields.RECORD_PARTITION_KEY_INDEX_TAG -> {
                    partitionKeyIndex = readVarint();
                    hasPartitionKeyIndex = true;
                }
                case AggregatedRecordFields.RECORD_EXPLICIT_HASH_KEY_INDEX_TAG -> {
                    explicitHashKeyIndex = readVarint();
                    hasExplicitHashKey = true;
                }
                case AggregatedRecordFields.RECORD_DATA_TAG -> recordData = in.readRawBytes(readLength());
                case AggregatedRecordFields.RECORD_TAGS_TAG -> readTagMessage(tags++);
                default -> skipUnknownField(tag, AggregatedRecordFields.RECORD_TAGS, "Record", 1);
            }
        }
        in.popLimit(limit);
        if (!hasPartitionKeyIndex) {
            missingRequired("records[" + recordCount + "].partition_key_index");
        } else if (recordData == null) {
            missingRequired("records[" + recordCount + "].data");
        }
        addRecord(partitionKeyIndex, explicitHashKeyIndex, hasExplicitHashKey, recordData);
    }

    /** A {@code Tag}: checked like protobuf would (its required key included), then dropped. */
    private void readTagMessage(int index) throws IOException, InvalidBodyException {
        int limit = in.pushLimit(readLength());
        boolean hasKey = false;
        while (!in.isAtEnd()) {
            int tag = readTag();
            switch (tag) {
                case AggregatedRecordFields.TAG_KEY_TAG -> {
                    in.skipRawBytes(readLength());
                    hasKey = true;
                }
                case AggregatedRecordFields.TAG_VALUE_TAG -> in.skipRawBytes(readLength());
                default -> skipUnknownField(tag, AggregatedRecordFields.TAG_VALUE, "Tag", 2);
            }
        }
        in.popLimit(limit);
        if (!hasKey) {
            missingRequired("records[" + recordCount + "].tags[" + index + "].key");
        }
    }

    private void missingRequired(String field) {
        if (firstMissingRequiredField == null) {
            firstMissingRequiredField = field;
        }
    }

    private void addRecord(long partitionKeyIndex, long explicitHashKeyIndex, boolean hasExplicitHashKey,
            byte[] recordData) {
        if (recordCount == data.length) {
            int capacity = recordCount * 2;
            partitionKeyIndexes = Arrays.copyOf(partitionKeyIndexes, capacity);
            explicitHashKeyIndexes = Arrays.copyOf(explicitHashKeyIndexes, capacity);
            hasExplicitHashKeyIndex = Arrays.copyOf(hasExplicitHashKeyIndex, capacity);
            data = Arrays.copyOf(data, capacity);
        }
        partitionKeyIndexes[recordCount] = partitionKeyIndex;
        explicitHashKeyIndexes[recordCount] = explicitHashKeyIndex;
        hasExplicitHashKeyIndex[recordCount] = hasExplicitHashKey;
        data[recordCount] = recordData;
        recordCount++;
    }

    /**
     * Skips a field this message does not know, as protobuf does. {@code highestKnownField}: fields 1 to it are
     * this message's own, and one of them with an unexpected wire type is refused. {@code depth}: how deep the
     * message is nested (the aggregate 0, a record 1, a tag 2, groups count too), against protobuf's limit.
     */
    private void skipUnknownField(int tag, int highestKnownField, String message, int depth)
            throws IOException, InvalidBodyException {
        int field = tag >>> AggregatedRecordFields.TAG_TYPE_BITS;
        int wireType = tag & AggregatedRecordFields.TAG_TYPE_MASK;
        if (field <= highestKnownField) {
            throw invalid("field " + field + " of " + message + " has wire type " + wireType
                    + ", which is not its type in aggregated_record.proto");
        }
        switch (wireType) {
            case AggregatedRecordFields.WIRETYPE_VARINT -> readVarint();
            case AggregatedRecordFields.WIRETYPE_FIXED64 -> skipFixed(8);
            case AggregatedRecordFields.WIRETYPE_LENGTH_DELIMITED -> in.skipRawBytes(readLength());
            case AggregatedRecordFields.WIRETYPE_START_GROUP -> skipGroup(field, message, depth + 1);
            case AggregatedRecordFields.WIRETYPE_FIXED32 -> skipFixed(4);
            case AggregatedRecordFields.WIRETYPE_END_GROUP ->
                    throw invalid("end-group tag of field " + field + " without a start in " + message);
            default -> throw invalid("field " + field + " of " + message + " has invalid wire type " + wireType);
        }
    }

    private void skipGroup(int field, String message, int depth) throws IOException, InvalidBodyException {
        if (depth > MAX_GROUP_DEPTH) {
            throw invalid("unknown groups nested too deep in " + message + " (protobuf's limit is " + MAX_GROUP_DEPTH
                    + " levels)");
        }
        while (true) {
            if (in.isAtEnd()) {
                throw truncated("group " + field + " in " + message + " has no end-group tag");
            }
            int tag = readTag();
            if ((tag & AggregatedRecordFields.TAG_TYPE_MASK) == AggregatedRecordFields.WIRETYPE_END_GROUP) {
                if (tag >>> AggregatedRecordFields.TAG_TYPE_BITS != field) {
                    throw invalid("group " + field + " in " + message + " ends with the end-group tag of field "
                            + (tag >>> AggregatedRecordFields.TAG_TYPE_BITS));
                }
                return;
            }
            skipUnknownField(tag, 0, message, depth); // inside an unknown group every field is unknown
        }
    }

    private void skipFixed(int length) throws IOException, InvalidBodyException {
        need(length);
        in.skipRawBytes(length);
    }

    private int readTag() throws IOException, InvalidBodyException {
        int tag = (int) readVarint(); // the low 32 bits, as protobuf's readTag takes them
        if (tag >>> AggregatedRecordFields.TAG_TYPE_BITS == 0) {
            throw invalid("tag with field number 0");
        }
        return tag;
    }

    /**
     * A varint. Near the end of the current message it is read byte by byte, so one cut off by the end is told
     * from a malformed one (protobuf's own reader reports both as exceptions that only their text tells apart).
     */
    private long readVarint() throws IOException, InvalidBodyException {
        if (in.getBytesUntilLimit() >= MAX_VARINT_LENGTH) {
            return in.readRawVarint64();
        }
        long value = 0;
        for (int shift = 0; shift < Long.SIZE; shift += 7) {
            if (in.isAtEnd()) {
                throw truncated("a varint runs past the end of its message");
            }
            byte b = in.readRawByte();
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw invalid("a varint is longer than " + MAX_VARINT_LENGTH + " bytes");
    }

    /** The length of a length-delimited field, checked against what is left of its message. */
    private int readLength() throws IOException, InvalidBodyException {
        int length = (int) readVarint(); // as protobuf's readRawVarint32 takes it
        if (length < 0) {
            throw invalid("a length-delimited field has a negative length (" + length + ")");
        }
        need(length);
        return length;
    }

    private void need(int length) throws InvalidBodyException {
        int left = in.getBytesUntilLimit();
        if (length > left) {
            throw truncated("a field needs " + length + " bytes but its message has " + left + " left");
        }
    }

    /** A string field, decoded straight from the caller's array (invalid UTF-8 becomes U+FFFD, as protobuf does). */
    private String readString() throws IOException, InvalidBodyException {
        int length = readLength();
        String s = new String(buffer, offset + in.getTotalBytesRead(), length, StandardCharsets.UTF_8);
        in.skipRawBytes(length);
        return s;
    }

    private static InvalidBodyException truncated(String message) {
        return new InvalidBodyException(true, message, null);
    }

    private static InvalidBodyException invalid(String message) {
        return new InvalidBodyException(false, message, null);
    }
}
