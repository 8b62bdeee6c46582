package io.purekinesis.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AggregateEncoderTest {

    private record Input(String partitionKey, String explicitHashKey, byte[] data) {
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void randomRecordsRoundTripAndSizeIsExactAfterEveryAdd(long seed) {
        Random random = new Random(seed);
        List<String> sharedKeys = new ArrayList<>();
        for (int i = 0; i < 1 + random.nextInt(20); i++) {
            sharedKeys.add(randomKey(random));
        }
        List<Input> inputs = new ArrayList<>();
        AggregateEncoder encoder = new AggregateEncoder();
        int count = 1 + random.nextInt(60);
        for (int i = 0; i < count; i++) {
            String pk = random.nextBoolean() ? sharedKeys.get(random.nextInt(sharedKeys.size())) : randomKey(random);
            String ehk = random.nextInt(4) == 0 ? HashKeys.partitionKeyHash(randomKey(random)).toString() : null;
            byte[] data = new byte[randomSize(random)];
            random.nextBytes(data);
            int predicted = encoder.sizeBytesIfAdded(pk, ehk, data.length);
            encoder.add(pk, ehk, data);
            inputs.add(new Input(pk, ehk, data));
            assertEquals(predicted, encoder.sizeBytes());
            assertEquals(encoder.toByteArray().length, encoder.sizeBytes(), "size after add " + i);
        }
        byte[] bytes = encoder.toByteArray();
        List<DecodedRecord> decoded = AggregateDecoder.decode(bytes, "ignored", null);
        assertEquals(inputs.size(), decoded.size());
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            DecodedRecord out = decoded.get(i);
            assertEquals(i, out.subSequenceNumber());
            assertEquals(in.partitionKey(), out.partitionKey());
            assertEquals(in.explicitHashKey(), out.explicitHashKey());
            assertArrayEquals(in.data(), out.data());
            assertTrue(out.aggregated());
        }
    }

    @Test
    void bytesAreWhatProtobufItselfWrites() throws Exception {
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("k1", null, new byte[] {1, 2, 3});
        encoder.add("k2", "12345", new byte[0]);
        encoder.add("k1", "12345", new byte[300]);
        byte[] body = WireBytes.body(encoder.toByteArray());
        DynamicMessage parsed = ProtobufReference.parse(body);
        assertArrayEquals(parsed.toByteArray(), body, "protobuf-java re-serializes the message to the same bytes");
        Descriptor aggregate = ProtobufReference.message("AggregatedRecord");
        assertEquals(List.of("k1", "k2"), parsed.getField(aggregate.findFieldByName("partition_key_table")));
        assertEquals(List.of("12345"), parsed.getField(aggregate.findFieldByName("explicit_hash_key_table")));
        DynamicMessage first = (DynamicMessage) parsed.getRepeatedField(aggregate.findFieldByName("records"), 0);
        Descriptor record = ProtobufReference.message("Record");
        assertFalse(first.hasField(record.findFieldByName("explicit_hash_key_index")));
        assertTrue(first.hasField(record.findFieldByName("partition_key_index")));
    }

    @Test
    void bytesAreTheFormatSpelledOut() {
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("k1", null, new byte[] {1, 2, 3});
        encoder.add("k2", "12345", new byte[0]);
        byte[] expectedBody = {
            0x0A, 2, 'k', '1',                          // partition_key_table "k1" (field 1, length-delimited)
            0x0A, 2, 'k', '2',                          // partition_key_table "k2"
            0x12, 5, '1', '2', '3', '4', '5',           // explicit_hash_key_table "12345" (field 2)
            0x1A, 7, 0x08, 0, 0x1A, 3, 1, 2, 3,         // records: partition_key_index 0, data 01 02 03
            0x1A, 6, 0x08, 1, 0x10, 0, 0x1A, 0,         // records: partition_key_index 1, ehk index 0, empty data
        };
        byte[] bytes = encoder.toByteArray();
        assertArrayEquals(AggregationFormat.magic(), Arrays.copyOf(bytes, AggregationFormat.MAGIC_LENGTH));
        assertArrayEquals(expectedBody, WireBytes.body(bytes));
        assertArrayEquals(HashKeys.md5(expectedBody), Arrays.copyOfRange(bytes,
                bytes.length - AggregationFormat.DIGEST_LENGTH, bytes.length));
    }

    @Test
    void varintBoundariesOfIndexesAndLengthsAreCountedExactly() {
        AggregateEncoder encoder = new AggregateEncoder();
        int[] dataSizes = {0, 1, 127, 128, 16_383, 16_384, 16_385};
        for (int i = 0; i < 300; i++) { // indexes past 127 take two varint bytes
            String key = "key-" + i;
            String ehk = i % 3 == 0 ? Integer.toString(i) : null;
            int size = dataSizes[i % dataSizes.length] - (i % 2);
            int predicted = encoder.sizeBytesIfAdded(key, ehk, Math.max(0, size));
            encoder.add(key, ehk, new byte[Math.max(0, size)]);
            assertEquals(predicted, encoder.sizeBytes());
        }
        assertEquals(encoder.toByteArray().length, encoder.sizeBytes());
        assertEquals(300, AggregateDecoder.decode(encoder.toByteArray(), null, null).size());
    }

    @Test
    void unicodeKeysCountTheirUtf8Bytes() {
        String emoji = "\uD83D\uDE00".repeat(128); // 256 UTF-16 units, 512 UTF-8 bytes
        String cjk = "\u4E2D".repeat(256);
        String unpaired = "a\uD800b";
        AggregateEncoder encoder = new AggregateEncoder();
        for (String key : List.of(emoji, cjk, unpaired, "é")) {
            int predicted = encoder.sizeBytesIfAdded(key, null, 10);
            encoder.add(key, null, new byte[10]);
            assertEquals(predicted, encoder.sizeBytes(), key);
        }
        assertEquals(encoder.toByteArray().length, encoder.sizeBytes());
        List<DecodedRecord> decoded = AggregateDecoder.decode(encoder.toByteArray(), null, null);
        assertEquals(emoji, decoded.get(0).partitionKey());
        assertEquals(cjk, decoded.get(1).partitionKey());
    }

    @Test
    void tryAddRefusesWhatWouldExceedTheLimitAndLeavesTheEncoderUnchanged() {
        AggregateEncoder encoder = new AggregateEncoder();
        int limit = 51_200;
        int added = 0;
        while (encoder.tryAdd("pk-" + (added % 7), null, new byte[100], limit)) {
            added++;
            assertTrue(encoder.sizeBytes() <= limit);
        }
        int before = encoder.sizeBytes();
        byte[] bytesBefore = encoder.toByteArray();
        assertFalse(encoder.tryAdd("a-brand-new-key", null, new byte[100], limit));
        assertEquals(before, encoder.sizeBytes());
        assertArrayEquals(bytesBefore, encoder.toByteArray());
        assertEquals(added, encoder.count());
        assertTrue(encoder.sizeBytesIfAdded("pk-0", null, 100) > limit);
    }

    @Test
    void aRecordOfOneMebibyteRoundTrips() {
        byte[] data = new byte[1024 * 1024];
        new Random(7).nextBytes(data);
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("big", null, data);
        encoder.add("small", null, new byte[] {42});
        byte[] bytes = encoder.toByteArray();
        assertEquals(bytes.length, encoder.sizeBytes());
        List<DecodedRecord> decoded = AggregateDecoder.decode(bytes, null, null);
        assertArrayEquals(data, decoded.get(0).data());
        assertArrayEquals(new byte[] {42}, decoded.get(1).data());
    }

    @Test
    void clearStartsAFreshAggregate() {
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("x", null, new byte[5]);
        encoder.clear();
        assertTrue(encoder.isEmpty());
        assertEquals(AggregationFormat.OVERHEAD, encoder.sizeBytes());
        encoder.add("y", null, new byte[] {9});
        List<DecodedRecord> decoded = AggregateDecoder.decode(encoder.toByteArray(), null, null);
        assertEquals(1, decoded.size());
        assertEquals("y", decoded.get(0).partitionKey());
    }

    private static int randomSize(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1024 * 1024 + 1);
            case 2, 3 -> random.nextInt(20_000);
            default -> random.nextInt(300);
        };
    }

    private static String randomKey(Random random) {
        int length = 1 + random.nextInt(random.nextInt(10) == 0 ? 256 : 20);
        StringBuilder key = new StringBuilder();
        while (key.length() < length) {
            switch (random.nextInt(5)) {
                case 0 -> key.appendCodePoint(0x1F600 + random.nextInt(50)); // emoji, surrogate pair
                case 1 -> key.append((char) (0x4E00 + random.nextInt(2000))); // CJK, 3 UTF-8 bytes
                case 2 -> key.append((char) (0xC0 + random.nextInt(200))); // Latin-1, 2 UTF-8 bytes
                default -> key.append((char) ('a' + random.nextInt(26)));
            }
        }
        return key.toString();
    }
}
