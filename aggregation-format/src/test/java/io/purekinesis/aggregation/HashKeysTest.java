package io.purekinesis.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashKeysTest {

    @Test
    void partitionKeyHashIsTheUnsignedMd5OfItsUtf8Bytes() {
        // From the KPL vectors: partition key "warm-up".
        assertEquals(new BigInteger("264065483939193488222984605112818403347"), HashKeys.partitionKeyHash("warm-up"));
        // md5("") = d41d8cd98f00b204e9800998ecf8427e, high bit set: must stay positive.
        assertEquals(new BigInteger("d41d8cd98f00b204e9800998ecf8427e", 16), HashKeys.partitionKeyHash(""));
    }

    @Test
    void anExplicitHashKeyWins() {
        assertEquals(BigInteger.TEN, HashKeys.effectiveHashKey("anything", "10"));
        assertEquals(HashKeys.MAX_HASH_KEY, HashKeys.effectiveHashKey("k", HashKeys.MAX_HASH_KEY.toString()));
        assertEquals(BigInteger.ZERO, HashKeys.effectiveHashKey("k", "0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "+5", "1e3", " 12", "0x10", "12.0",
            "340282366920938463463374607431768211456"})
    void aBadExplicitHashKeyIsRefusedWithTheAllowedRange(String bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HashKeys.parseExplicitHashKey(bad));
        assertTrue(e.getMessage().contains("2^128-1"), e.getMessage());
    }

    @Test
    void rangesContainTheirBoundsAndFilterKeepsOrder() {
        HashKeyRange range = HashKeyRange.of("100", "200");
        assertTrue(range.contains(BigInteger.valueOf(100)));
        assertTrue(range.contains(BigInteger.valueOf(200)));
        assertFalse(range.contains(BigInteger.valueOf(99)));
        assertFalse(range.contains(BigInteger.valueOf(201)));
        DecodedRecord a = new DecodedRecord(0, "a", "150", new byte[0], true);
        DecodedRecord b = new DecodedRecord(1, "b", "250", new byte[0], true);
        DecodedRecord c = new DecodedRecord(2, "c", "100", new byte[0], true);
        assertEquals(List.of(a, c), range.filter(List.of(a, b, c)));
        assertEquals(List.of(a, b, c), HashKeyRange.all().filter(List.of(a, b, c)));
    }

    @Test
    void invalidRangesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> HashKeyRange.of("5", "4"));
        assertThrows(IllegalArgumentException.class, () -> HashKeyRange.of("-1", "4"));
        assertThrows(IllegalArgumentException.class,
                () -> HashKeyRange.of(BigInteger.ZERO, HashKeys.MAX_HASH_KEY.add(BigInteger.ONE)));
    }

    @Test
    void utf8LengthAgreesWithTheEncoderOfTheJdk() {
        for (String s : List.of("", "abc", "\u00e9", "\u4e2d", "\uD83D\uDE00", "a\uD800b", "\uDC00", "x\uD83D")) {
            assertEquals(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, AggregationFormat.utf8Length(s), s);
        }
    }

    @Test
    void aPlainRecordWithoutPartitionKeyHasNoHashKey() {
        DecodedRecord record = AggregateDecoder.decode(new byte[] {1}, null, null).get(0);
        assertThrows(IllegalStateException.class, record::hashKey);
    }
}
