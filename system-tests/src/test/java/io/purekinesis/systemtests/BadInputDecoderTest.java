package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.AggregateDecoder.Mode;
import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.aggregation.AggregationFormat;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.MalformedAggregateException;
import io.purekinesis.aggregation.MalformedAggregateException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input catalogue of the {@code aggregation-format} decoder: a blob for every
 * {@link MalformedAggregateException.Reason}, in STRICT mode (throws, naming the reason and what is wrong) and in
 * LENIENT mode (a blob that may be user data, too short or with a wrong digest, comes back as one plain record; a
 * blob whose digest matches but whose content is invalid still throws). The bad blobs are hand-made protobuf, so the
 * test does not depend on the encoder being wrong in the same way.
 */
class BadInputDecoderTest {

    private static final Set<Reason> covered = EnumSet.noneOf(Reason.class);

    static Stream<Arguments> malformed() {
        byte[] valid = validAggregate();
        return Stream.of(
                row("magic only (4 bytes)", AggregationFormat.magic(), Reason.TRUNCATED,
                        "aggregated record of 4 bytes is shorter than magic plus digest (20 bytes)", false),
                row("magic + 15 bytes", concat(AggregationFormat.magic(), new byte[15]), Reason.TRUNCATED,
                        "aggregated record of 19 bytes is shorter than magic plus digest", false),
                row("valid aggregate cut in the middle of a record", Arrays.copyOf(valid, valid.length - 30),
                        Reason.TRUNCATED, "ends in the middle of a protobuf field (cut off?)", false),
                row("digest trailer zeroed", zeroDigest(valid), Reason.DIGEST_MISMATCH,
                        "MD5 trailer does not match the protobuf body of an aggregated record of " + valid.length
                                + " bytes", false),
                row("digest matches, body is not protobuf", aggregate(new byte[] {(byte) 0xFF, (byte) 0xFF, 0x07}),
                        Reason.INVALID_PROTOBUF, "digest matches but the body is not a valid AggregatedRecord", true),
                row("digest matches, record without its required data field",
                        aggregate(field(1, utf8("k")), field(3, varintField(1, 0))),
                        Reason.INVALID_PROTOBUF, "digest matches but the body is not a valid AggregatedRecord", true),
                row("partition_key_index 1 with a table of 1", aggregate(field(1, utf8("k")),
                        field(3, record(1, null, "x"))), Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE,
                        "record 0 has partition_key_index 1 but the table has 1 entries", true),
                row("partition_key_index 2^64-1", aggregate(field(1, utf8("k")), field(3, record(-1L, null, "x"))),
                        Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE,
                        "record 0 has partition_key_index 18446744073709551615 but the table has 1 entries", true),
                row("no partition-key table at all", aggregate(field(3, record(0, null, "x"))),
                        Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE,
                        "record 0 has partition_key_index 0 but the table has 0 entries", true),
                row("second record's partition_key_index out of range", aggregate(field(1, utf8("k")),
                        field(3, record(0, null, "a")), field(3, record(2, null, "b"))),
                        Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE, "record 1 has partition_key_index 2", true),
                row("explicit_hash_key_index 0 with no table", aggregate(field(1, utf8("k")),
                        field(3, record(0, 0L, "x"))), Reason.EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE,
                        "record 0 has explicit_hash_key_index 0 but the table has 0 entries", true),
                row("explicit_hash_key_index 3 with a table of 1", aggregate(field(1, utf8("k")),
                        field(2, utf8("12345")), field(3, record(0, 3L, "x"))),
                        Reason.EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE,
                        "record 0 has explicit_hash_key_index 3 but the table has 1 entries", true));
    }

    @ParameterizedTest(name = "decoder: {0}")
    @MethodSource("malformed")
    void strictNamesTheReason(String name, byte[] blob, Reason reason, String fragment, boolean lenientThrows) {
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, "pk", null), name);
        assertEquals(reason, e.reason(), name + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith(reason + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "message of " + name + ": " + e.getMessage());
        covered.add(reason);
        System.out.printf("BAD INPUT decoder | %s | STRICT: MalformedAggregateException %s | %s%n", name, e.reason(),
                e.getMessage());
        if (lenientThrows) {
            MalformedAggregateException l = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(blob, "pk", null, Mode.LENIENT), name);
            assertEquals(reason, l.reason());
            System.out.printf("BAD INPUT decoder | %s | LENIENT: still MalformedAggregateException %s%n", name,
                    l.reason());
        } else {
            List<DecodedRecord> plain = AggregateDecoder.decode(blob, "pk", null, Mode.LENIENT);
            assertEquals(1, plain.size());
            assertFalse(plain.get(0).aggregated());
            assertArrayEquals(blob, plain.get(0).data());
            assertEquals("pk", plain.get(0).partitionKey());
            System.out.printf("BAD INPUT decoder | %s | LENIENT: one plain record of %d bytes (as KCL)%n", name,
                    blob.length);
        }
    }

    /**
     * A complete aggregate with one byte flipped, at every position after the magic: the digest no longer matches,
     * so STRICT must throw DIGEST_MISMATCH (nothing is cut off) and LENIENT must return the blob as one plain record.
     * Only a flip in a protobuf length can make a complete aggregate look cut off (TRUNCATED); every flip in the
     * data or the trailer is a DIGEST_MISMATCH. Both say "do not trust this blob"; the test prints how often each
     * came out.
     */
    @Test
    void corruptedCompleteAggregate() {
        byte[] valid = validAggregate();
        java.util.Map<Reason, Integer> reasons = new java.util.EnumMap<>(Reason.class);
        for (int i = AggregationFormat.MAGIC_LENGTH; i < valid.length; i++) {
            byte[] blob = flip(valid, i);
            MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(blob, "pk", null));
            assertTrue(e.reason() == Reason.DIGEST_MISMATCH || e.reason() == Reason.TRUNCATED, e.getMessage());
            reasons.merge(e.reason(), 1, Integer::sum);
            List<DecodedRecord> plain = AggregateDecoder.decode(blob, "pk", null, Mode.LENIENT);
            assertEquals(1, plain.size());
            assertArrayEquals(blob, plain.get(0).data());
        }
        int flips = valid.length - AggregationFormat.MAGIC_LENGTH;
        System.out.printf("BAD INPUT decoder | one byte flipped in a complete %d-byte aggregate (%d positions) |"
                + " STRICT reasons %s%s | LENIENT: one plain record each%n", valid.length, flips, reasons,
                "");
        assertTrue(reasons.getOrDefault(Reason.DIGEST_MISMATCH, 0) > 2 * reasons.getOrDefault(Reason.TRUNCATED, 0),
                "mostly DIGEST_MISMATCH: " + reasons);
    }

    /** Valid inputs at the edges: not errors. */
    @Test
    void edgesThatAreNotErrors() {
        byte[] plainData = "no magic here".getBytes(StandardCharsets.UTF_8);
        List<DecodedRecord> plain = AggregateDecoder.decode(plainData, "pk", null);
        assertEquals(1, plain.size());
        assertFalse(plain.get(0).aggregated());
        assertTrue(AggregateDecoder.decode(new byte[0], "pk", null).get(0).data().length == 0, "empty data");
        assertEquals(1, AggregateDecoder.decode(new byte[] {(byte) 0xF3, (byte) 0x89}, "pk", null).size(),
                "a 2-byte prefix of the magic is plain data");
        List<DecodedRecord> none = AggregateDecoder.decode(aggregate(new byte[0]), "pk", null);
        assertEquals(0, none.size(), "an aggregate with no records decodes to no user records");
        List<DecodedRecord> decoded = AggregateDecoder.decode(validAggregate(), "a", null);
        assertEquals(3, decoded.size());
        System.out.println("BAD INPUT decoder | no magic / empty / magic prefix | plain record | not an error");
        System.out.println("BAD INPUT decoder | aggregate with zero records | decodes to 0 user records | not an"
                + " error (the Kinesis record then yields nothing)");
        NullPointerException npe = assertThrows(NullPointerException.class,
                () -> AggregateDecoder.decode(null, "pk", null));
        System.out.printf("BAD INPUT decoder | null data | NullPointerException | %s%n", npe.getMessage());
    }

    @AfterAll
    static void everyReasonCovered() {
        assertEquals(EnumSet.allOf(Reason.class), covered, "a MalformedAggregateException.Reason without a row");
        System.out.printf("BAD INPUT decoder: every MalformedAggregateException.Reason covered: %s%n", covered);
    }

    private static Arguments row(String name, byte[] blob, Reason reason, String fragment, boolean lenientThrows) {
        return Arguments.of(name, blob, reason, fragment, lenientThrows);
    }

    /** Three user records written by the real encoder. */
    private static byte[] validAggregate() {
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("key-1", null, "first user record".getBytes(StandardCharsets.UTF_8));
        encoder.add("key-2", "12345", "second user record".getBytes(StandardCharsets.UTF_8));
        encoder.add("key-1", null, "third user record".getBytes(StandardCharsets.UTF_8));
        return encoder.toByteArray();
    }

    /** Magic + body + MD5(body): an aggregate whose digest matches whatever the body is. */
    private static byte[] aggregate(byte[]... bodyParts) {
        byte[] body = concat(bodyParts);
        try {
            return concat(AggregationFormat.magic(), body, MessageDigest.getInstance("MD5").digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A Record message: partition_key_index, optional explicit_hash_key_index, data. */
    private static byte[] record(long pkIndex, Long ehkIndex, String data) {
        return concat(varintField(1, pkIndex), ehkIndex == null ? new byte[0] : varintField(2, ehkIndex),
                field(3, utf8(data)));
    }

    /** A length-delimited field (wire type 2). */
    private static byte[] field(int number, byte[] content) {
        return concat(varint((number << 3) | 2), varint(content.length), content);
    }

    /** A varint field (wire type 0). */
    private static byte[] varintField(int number, long value) {
        return concat(varint(number << 3), varint(value));
    }

    private static byte[] varint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] zeroDigest(byte[] b) {
        byte[] c = b.clone();
        Arrays.fill(c, c.length - AggregationFormat.DIGEST_LENGTH, c.length, (byte) 0);
        return c;
    }

    private static byte[] flip(byte[] b, int index) {
        byte[] c = b.clone();
        c[index] ^= 0x01;
        return c;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
