package io.purekinesis.aggregation;

import static io.purekinesis.aggregation.WireBytes.aggregate;
import static io.purekinesis.aggregation.WireBytes.field;
import static io.purekinesis.aggregation.WireBytes.record;
import static io.purekinesis.aggregation.WireBytes.varintField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.MalformedAggregateException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AggregateDecoderTest {

    @Test
    void dataWithoutMagicIsOnePlainRecord() {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        List<DecodedRecord> decoded = AggregateDecoder.decode(data, "pk", null);
        assertEquals(1, decoded.size());
        DecodedRecord record = decoded.get(0);
        assertSame(data, record.data());
        assertEquals("pk", record.partitionKey());
        assertEquals(0, record.subSequenceNumber());
        assertFalse(record.aggregated());
    }

    @Test
    void emptyAndShortDataArePlainRecords() {
        assertEquals(0, AggregateDecoder.decode(new byte[0], "pk", null).get(0).data().length);
        assertEquals(3, AggregateDecoder.decode(new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A}, "pk", null)
                .get(0).data().length);
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 10, 19})
    void magicWithFewerBytesThanTheDigestIsTruncated(int length) {
        byte[] data = Arrays.copyOf(AggregationFormat.magic(), length);
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(data, "pk", null));
        assertEquals(Reason.TRUNCATED, e.reason());
        assertTrue(e.getMessage().contains(length + " bytes"), e.getMessage());
    }

    @Test
    void anAggregateCutInTheMiddleIsTruncated() {
        byte[] full = sampleAggregate();
        byte[] cut = Arrays.copyOf(full, full.length - 30);
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(cut, "pk", null));
        assertEquals(Reason.TRUNCATED, e.reason());
    }

    @Test
    void aWrongDigestIsReported() {
        byte[] data = sampleAggregate();
        data[data.length - 1] ^= 1;
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(data, "pk", null));
        assertEquals(Reason.DIGEST_MISMATCH, e.reason());
    }

    @Test
    void aFlippedBodyByteIsADigestMismatch() {
        byte[] data = sampleAggregate();
        data[data.length - 20] ^= 0x55; // inside the last record's data: still parses, digest differs
        assertEquals(Reason.DIGEST_MISMATCH, assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(data, "pk", null)).reason());
    }

    @Test
    void garbageAfterTheMagicWithAMatchingDigestIsInvalidProtobuf() {
        byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 0x00, 0x13};
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(aggregate(garbage), "pk", null));
        assertEquals(Reason.INVALID_PROTOBUF, e.reason());
    }

    @Test
    void aRecordMissingItsRequiredDataIsInvalidProtobuf() {
        byte[] blob = aggregate(field(1, "k"), field(3, varintField(1, 0)));
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, "pk", null));
        assertEquals(Reason.INVALID_PROTOBUF, e.reason());
        assertTrue(e.getMessage().contains("missing required field records[0].data"), e.getMessage());
    }

    @Test
    void aPartitionKeyIndexOutsideTheTableIsNamed() {
        byte[] blob = aggregate(field(1, "k"), field(3, record(0, null, "ok")), field(3, record(5, null, "bad")));
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, "pk", null));
        assertEquals(Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE, e.reason());
        assertTrue(e.getMessage().contains("record 1 has partition_key_index 5 but the table has 1"), e.getMessage());
    }

    @Test
    void anExplicitHashKeyIndexOutsideTheTableIsNamed() {
        byte[] blob = aggregate(field(1, "k"), field(3, record(0, 0L, "")));
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, "pk", null));
        assertEquals(Reason.EXPLICIT_HASH_KEY_INDEX_OUT_OF_RANGE, e.reason());
    }

    @Test
    void aHugeUnsignedIndexIsOutOfRangeNotANegativeArrayIndex() {
        byte[] blob = aggregate(field(1, "k"), field(3, record(-1L, null, "")));
        MalformedAggregateException e = assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, "pk", null));
        assertEquals(Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE, e.reason());
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
    }

    @Test
    void lenientModeTreatsAnUnverifiableBlobAsPlainDataLikeKcl() {
        byte[] data = sampleAggregate();
        data[data.length - 1] ^= 1;
        List<DecodedRecord> decoded = AggregateDecoder.decode(data, "pk", null, AggregateDecoder.Mode.LENIENT);
        assertEquals(1, decoded.size());
        assertArrayEquals(data, decoded.get(0).data());
        assertFalse(decoded.get(0).aggregated());
        byte[] shortOne = Arrays.copyOf(AggregationFormat.magic(), 8);
        assertEquals(1, AggregateDecoder.decode(shortOne, "pk", null, AggregateDecoder.Mode.LENIENT).size());
    }

    @Test
    void lenientModeStillRejectsAnAggregateWhoseDigestMatches() {
        byte[] blob = aggregate(field(1, "k"), field(3, record(3, null, "")));
        assertEquals(Reason.PARTITION_KEY_INDEX_OUT_OF_RANGE, assertThrows(MalformedAggregateException.class,
                () -> AggregateDecoder.decode(blob, "pk", null, AggregateDecoder.Mode.LENIENT)).reason());
    }

    @Test
    void anEmptyAggregateHasNoUserRecords() {
        assertEquals(List.of(), AggregateDecoder.decode(new AggregateEncoder().toByteArray(), "pk", null));
    }

    private static byte[] sampleAggregate() {
        AggregateEncoder encoder = new AggregateEncoder();
        for (int i = 0; i < 10; i++) {
            encoder.add("key-" + (i % 3), null, ("payload number " + i).getBytes(StandardCharsets.UTF_8));
        }
        return encoder.toByteArray();
    }
}
