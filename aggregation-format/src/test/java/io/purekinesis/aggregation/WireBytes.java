package io.purekinesis.aggregation;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hand-made protobuf bytes for tests, written from the wire-format rules alone, so a test of the codec does not
 * depend on the codec (or on generated code) being right.
 */
final class WireBytes {

    private WireBytes() {
    }

    /** A length-delimited field (wire type 2). */
    static byte[] field(int number, byte[] content) {
        return concat(varint((long) number << 3 | 2), varint(content.length), content);
    }

    static byte[] field(int number, String utf8) {
        return field(number, utf8.getBytes(StandardCharsets.UTF_8));
    }

    /** A varint field (wire type 0). */
    static byte[] varintField(int number, long value) {
        return concat(varint((long) number << 3), varint(value));
    }

    /** A tag with any wire type, for fields of the wrong type or unknown ones. */
    static byte[] tag(int number, int wireType) {
        return varint((long) number << 3 | wireType);
    }

    /** A Record message: partition_key_index, explicit_hash_key_index when not null, data. */
    static byte[] record(long partitionKeyIndex, Long explicitHashKeyIndex, String data) {
        return concat(varintField(1, partitionKeyIndex),
                explicitHashKeyIndex == null ? new byte[0] : varintField(2, explicitHashKeyIndex), field(3, data));
    }

    static byte[] varint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Magic + body + MD5(body): an aggregate whose digest matches whatever the body is. */
    static byte[] aggregate(byte[]... bodyParts) {
        byte[] body = concat(bodyParts);
        return concat(AggregationFormat.magic(), body, HashKeys.md5(body));
    }

    /** The protobuf body of an aggregate: without magic and digest. */
    static byte[] body(byte[] aggregate) {
        return java.util.Arrays.copyOfRange(aggregate, AggregationFormat.MAGIC_LENGTH,
                aggregate.length - AggregationFormat.DIGEST_LENGTH);
    }
}
