package io.purekinesis.aggregation;

import static io.purekinesis.aggregation.WireBytes.aggregate;
import static io.purekinesis.aggregation.WireBytes.body;
import static io.purekinesis.aggregation.WireBytes.concat;
import static io.purekinesis.aggregation.WireBytes.field;
import static io.purekinesis.aggregation.WireBytes.record;
import static io.purekinesis.aggregation.WireBytes.tag;
import static io.purekinesis.aggregation.WireBytes.varint;
import static io.purekinesis.aggregation.WireBytes.varintField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.purekinesis.aggregation.MalformedAggregateException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written parser of the protobuf body, through {@link AggregateDecoder}: what protobuf accepts it accepts
 * (checked against protobuf-java's own parser, {@link ProtobufReference}), and it refuses what protobuf refuses.
 */
class AggregateBodyTest {

    private static final byte[] KEY_TABLE = field(1, "k");

    @Test
    void fieldsInAnyOrderAsProtobufAllows() {
        byte[] blob = aggregate(field(3, record(1, 0L, "first")), field(2, "12345"), field(1, "a"),
                field(3, record(0, null, "second")), field(1, "b"));
        List<DecodedRecord> decoded = AggregateDecoder.decode(blob, null, null);
        assertEquals(2, decoded.size());
        assertEquals("b", decoded.get(0).partitionKey());
        assertEquals("12345", decoded.get(0).explicitHashKey());
        assertEquals("a", decoded.get(1).partitionKey());
        assertNull(decoded.get(1).explicitHashKey());
        assertArrayEquals("second".getBytes(StandardCharsets.UTF_8), decoded.get(1).data());
    }

    @Test
    void theLastValueOfASingularFieldWins() {
        byte[] rec = concat(varintField(1, 5), field(3, "old"), varintField(1, 0), field(3, "new"));
        List<DecodedRecord> decoded = AggregateDecoder.decode(aggregate(KEY_TABLE, field(3, rec)), null, null);
        assertArrayEquals("new".getBytes(StandardCharsets.UTF_8), decoded.get(0).data());
        assertEquals("k", decoded.get(0).partitionKey());
    }

    @Test
    void unknownFieldsOfEveryWireTypeAreSkippedInEveryMessage() throws Exception {
        byte[] unknowns = concat(varintField(9, 300), tag(10, 1), new byte[8], field(11, "opaque"), tag(12, 5),
                new byte[4], tag(13, 3), varintField(1, 7), tag(14, 3), field(2, "x"), tag(14, 4), tag(13, 4));
        byte[] tagMessage = concat(field(1, "tag-key"), unknowns, field(2, "tag-value"));
        byte[] rec = concat(varintField(1, 0), unknowns, field(3, "data"), field(4, tagMessage));
        byte[] blob = aggregate(unknowns, KEY_TABLE, unknowns, field(3, rec), unknowns);
        List<DecodedRecord> decoded = AggregateDecoder.decode(blob, null, null);
        assertEquals(1, decoded.size());
        assertEquals("k", decoded.get(0).partitionKey());
        assertArrayEquals("data".getBytes(StandardCharsets.UTF_8), decoded.get(0).data());
        ProtobufReference.parse(body(blob)); // protobuf accepts it too
    }

    @Test
    void aKnownFieldWithAnotherWireTypeIsRefused() {
        Map<String, byte[]> cases = Map.of(
                "records as a varint", concat(KEY_TABLE, varintField(3, 1)),
                "partition-key table entry as a varint", concat(varintField(1, 1)),
                "partition_key_index as bytes", field(3, concat(field(1, "0"), field(3, "d"))),
                "explicit_hash_key_index as fixed64", field(3, concat(varintField(1, 0), tag(2, 1), new byte[8],
                        field(3, "d"))),
                "data as a varint", field(3, concat(varintField(1, 0), varintField(3, 1))),
                "tags as a group", field(3, concat(varintField(1, 0), field(3, "d"), tag(4, 3), tag(4, 4))));
        cases.forEach((name, body) -> {
            MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(aggregate(KEY_TABLE, body), null, null), name);
            assertEquals(Reason.INVALID_PROTOBUF, e.reason(), name);
            assertTrue(e.getMessage().contains("which is not its type in aggregated_record.proto"), e.getMessage());
        });
    }

    @Test
    void everyMissingRequiredFieldIsRefusedAsProtobufRefusesIt() {
        Map<String, byte[]> cases = Map.of(
                "records[0].partition_key_index", field(3, field(3, "d")),
                "records[1].data", concat(field(3, record(0, null, "d")), field(3, varintField(1, 0))),
                "records[0].tags[1].key", field(3, concat(record(0, null, "d"), field(4, field(1, "k")),
                        field(4, field(2, "value only")))));
        cases.forEach((missing, records) -> {
            byte[] blob = aggregate(KEY_TABLE, records);
            MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(blob, null, null), missing);
            assertEquals(Reason.INVALID_PROTOBUF, e.reason());
            assertTrue(e.getMessage().contains("missing required field " + missing), e.getMessage());
            assertThrows(InvalidProtocolBufferException.class, () -> ProtobufReference.parse(body(blob)), missing);
        });
    }

    @Test
    void aMissingRequiredFieldOutranksAnIndexOutOfRangeAsInProtobuf() {
        // protobuf checks required fields once the whole message is read; the tables are checked after that
        byte[] blob = aggregate(KEY_TABLE, field(3, record(9, null, "d")), field(3, varintField(1, 0)));
        assertEquals(Reason.INVALID_PROTOBUF, assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, null, null)).reason());
    }

    @Test
    void malformedStructureIsRefused() throws Exception {
        Map<String, byte[]> cases = Map.of(
                "field number 0", concat(KEY_TABLE, varint(0), varint(1)),
                "wire type 7", concat(KEY_TABLE, tag(9, 7)),
                "end-group tag without a start", concat(KEY_TABLE, tag(9, 4)),
                "group closed by another field's end tag", concat(KEY_TABLE, tag(9, 3), tag(10, 4)),
                "varint of 11 bytes", concat(KEY_TABLE, tag(9, 0), new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1,
                        -1, 1}, new byte[20]),
                "negative length", concat(KEY_TABLE, tag(9, 2), varint(-1)),
                "record longer than the body", concat(KEY_TABLE, tag(3, 2), varint(100), record(0, null, "d")),
                "group without an end", concat(KEY_TABLE, tag(9, 3), varintField(1, 1)),
                "groups nested 101 deep", concat(KEY_TABLE, repeat(tag(9, 3), 101), repeat(tag(9, 4), 101)));
        cases.forEach((name, body) -> {
            MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(aggregate(body), null, null), name);
            assertEquals(Reason.INVALID_PROTOBUF, e.reason(), name + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith(
                    "INVALID_PROTOBUF: digest matches but the body is not a valid AggregatedRecord: "), e.getMessage());
            assertThrows(InvalidProtocolBufferException.class, () -> ProtobufReference.parse(body), name);
        });
        byte[] deepButAllowed = concat(KEY_TABLE, repeat(tag(9, 3), 100), repeat(tag(9, 4), 100));
        assertEquals(0, AggregateDecoder.decode(aggregate(deepButAllowed), null, null).size());
        ProtobufReference.parse(deepButAllowed); // protobuf's limit is the same
    }

    @Test
    void anAggregateCutAtAnyPointIsTruncatedOrADigestMismatchNeverInvalid() {
        byte[] full = aggregate(field(1, "key-" + "x".repeat(200)), field(2, "12345"),
                field(3, record(0, 0L, "y".repeat(300))), field(3, record(0, null, "z")));
        Map<Reason, Integer> reasons = new EnumMap<>(Reason.class);
        for (int length = AggregationFormat.OVERHEAD; length < full.length; length++) {
            byte[] cut = Arrays.copyOf(full, length);
            Reason reason = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(cut, null, null)).reason();
            reasons.merge(reason, 1, Integer::sum);
        }
        assertEquals(List.of(Reason.TRUNCATED, Reason.DIGEST_MISMATCH), List.copyOf(reasons.keySet()), reasons::toString);
        assertTrue(reasons.get(Reason.TRUNCATED) > 10 * reasons.get(Reason.DIGEST_MISMATCH), reasons::toString);
    }

    @Test
    void invalidUtf8InAKeyBecomesTheReplacementCharacterAsInProtobuf() throws Exception {
        byte[] badKey = {'a', (byte) 0xC3, 'b'};
        byte[] blob = aggregate(field(1, badKey), field(3, record(0, null, "d")));
        String expected = ((DynamicMessage) ProtobufReference.parse(body(blob))).getRepeatedField(
                ProtobufReference.message("AggregatedRecord").findFieldByName("partition_key_table"), 0).toString();
        assertEquals(expected, AggregateDecoder.decode(blob, null, null).get(0).partitionKey());
        assertEquals("a\uFFFDb", expected);
    }

    /**
     * Mutations of valid aggregates (bytes changed, inserted, removed), each framed with a matching digest: the
     * decoder must agree with protobuf-java's parser on every one. Where protobuf refuses, so does the decoder
     * (INVALID_PROTOBUF); where protobuf keeps a known field with another wire type as an unknown field, the decoder
     * refuses (its one deliberate difference); where protobuf accepts, the decoder gives the same user records, or
     * names the table index that is out of range.
     */
    @Test
    void agreesWithProtobufOnMutatedBodies() {
        Random random = new Random(12);
        Map<String, Integer> outcomes = new java.util.TreeMap<>();
        for (int i = 0; i < 20_000; i++) {
            byte[] body = mutate(body(sampleAggregate(random)), random);
            outcomes.merge(compareWithProtobuf(body), 1, Integer::sum);
        }
        System.out.println("mutated bodies, decoder vs protobuf: " + outcomes);
        assertTrue(outcomes.getOrDefault("both accept", 0) > 1_000, outcomes::toString);
        assertTrue(outcomes.getOrDefault("both refuse", 0) > 1_000, outcomes::toString);
    }

    private static String compareWithProtobuf(byte[] body) {
        DynamicMessage reference;
        try {
            reference = ProtobufReference.parse(body);
        } catch (InvalidProtocolBufferException e) {
            MalformedAggregateException ours = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(aggregate(body), null, null), () -> "protobuf refused: " + e);
            assertEquals(Reason.INVALID_PROTOBUF, ours.reason(), () -> "protobuf refused: " + e);
            return "both refuse";
        }
        if (hasKnownFieldAsUnknown(reference)) {
            MalformedAggregateException ours = assertThrows(MalformedAggregateException.class,
                    () -> AggregateDecoder.decode(aggregate(body), null, null));
            assertEquals(Reason.INVALID_PROTOBUF, ours.reason(), ours::getMessage);
            return "wrong wire type refused, protobuf keeps it as unknown";
        }
        List<DecodedRecord> ours;
        try {
            ours = AggregateDecoder.decode(aggregate(body), null, null);
        } catch (MalformedAggregateException e) {
            if (e.reason() == Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE
                    || e.reason() == Reason.EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE) {
                return "index out of range";
            }
            fail("protobuf accepts what the decoder refuses: " + e.getMessage());
            return null;
        }
        FieldDescriptor pkTable = fieldOf(reference, "partition_key_table");
        FieldDescriptor ehkTable = fieldOf(reference, "explicit_hash_key_table");
        FieldDescriptor records = fieldOf(reference, "records");
        assertEquals(reference.getRepeatedFieldCount(records), ours.size());
        for (int i = 0; i < ours.size(); i++) {
            Message r = (Message) reference.getRepeatedField(records, i);
            long pk = (Long) r.getField(fieldOf(r, "partition_key_index"));
            assertEquals(string(reference.getRepeatedField(pkTable, (int) pk)), ours.get(i).partitionKey());
            FieldDescriptor ehk = fieldOf(r, "explicit_hash_key_index");
            assertEquals(r.hasField(ehk) ? string(reference.getRepeatedField(ehkTable, (int) (long) (Long) r.getField(
                    ehk))) : null, ours.get(i).explicitHashKey());
            assertArrayEquals(((ByteString) r.getField(fieldOf(r, "data"))).toByteArray(), ours.get(i).data());
        }
        return "both accept";
    }

    private static boolean hasKnownFieldAsUnknown(Message m) {
        for (int number : m.getUnknownFields().asMap().keySet()) {
            if (m.getDescriptorForType().findFieldByNumber(number) != null) {
                return true;
            }
        }
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            if (e.getKey().getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                for (Object child : (List<?>) e.getValue()) {
                    if (hasKnownFieldAsUnknown((Message) child)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static FieldDescriptor fieldOf(Message m, String name) {
        return m.getDescriptorForType().findFieldByName(name);
    }

    private static String string(Object value) {
        return value instanceof ByteString b ? b.toStringUtf8() : (String) value;
    }

    private static byte[] sampleAggregate(Random random) {
        AggregateEncoder encoder = new AggregateEncoder();
        int count = 1 + random.nextInt(6);
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(40)];
            random.nextBytes(data);
            encoder.add("key-" + random.nextInt(4), random.nextInt(3) == 0 ? Integer.toString(random.nextInt(3)) : null,
                    data);
        }
        return encoder.toByteArray();
    }

    private static byte[] mutate(byte[] body, Random random) {
        byte[] b = body.clone();
        int changes = 1 + random.nextInt(3);
        for (int c = 0; c < changes && b.length > 0; c++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(4)) {
                case 0 -> b[at] = (byte) random.nextInt(256);
                case 1 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 2 -> b = concat(Arrays.copyOf(b, at), new byte[] {(byte) random.nextInt(256)},
                        Arrays.copyOfRange(b, at, b.length));
                default -> b = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + 1, b.length));
            }
        }
        return b;
    }

    private static byte[] repeat(byte[] part, int times) {
        byte[][] parts = new byte[times][];
        Arrays.fill(parts, part);
        return concat(parts);
    }
}
