package io.purekinesis.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.KplVectors.KinesisRecord;
import io.purekinesis.aggregation.KplVectors.Shard;
import io.purekinesis.aggregation.KplVectors.UserRecord;
import io.purekinesis.aggregation.KplVectors.VectorSet;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** What the real KPL wrote must decode to exactly the user records it was given, and re-encode to the same bytes. */
class KplVectorsTest {

    static final List<String> FILES = KplVectors.FILES;

    @ParameterizedTest
    @FieldSource("FILES")
    void everyStoredRecordDecodesToExactlyTheUserRecordsKplWasGiven(String file) {
        VectorSet set = KplVectors.load(file);
        Map<String, UserRecord> bySequence = new HashMap<>();
        for (UserRecord u : set.userRecords()) {
            assertNull(bySequence.put(u.sequenceNumber() + "/" + u.subSequenceNumber(), u), "duplicate position");
        }
        Set<Integer> seen = new HashSet<>();
        int aggregates = 0;
        for (KinesisRecord k : set.kinesisRecords()) {
            List<DecodedRecord> decoded = AggregateDecoder.decode(k.data(), k.partitionKey(), null);
            assertEquals(k.aggregated(), AggregationFormat.hasMagic(k.data()));
            if (k.aggregated()) {
                aggregates++;
                assertEquals(k.userRecordIndexes().size(), decoded.size());
            } else {
                assertEquals(1, decoded.size());
            }
            for (DecodedRecord d : decoded) {
                UserRecord expected = bySequence.get(k.sequenceNumber() + "/" + d.subSequenceNumber());
                assertNotNull(expected, () -> file + ": no user record at " + k.sequenceNumber() + "/"
                        + d.subSequenceNumber());
                assertEquals(expected.partitionKey(), d.partitionKey());
                assertArrayEquals(expected.data(), d.data());
                assertEquals(k.aggregated(), d.aggregated());
                if (k.aggregated()) {
                    assertEquals(expected.explicitHashKey(), d.explicitHashKey());
                }
                assertEquals(expected.shardId(), k.shardId());
                assertEquals(new BigInteger(expected.effectiveHashKey()), d.hashKey());
                assertTrue(seen.add(expected.index()), "user record decoded twice: " + expected.index());
            }
        }
        assertEquals(set.userRecords().size(), seen.size(), "every user record is stored somewhere");
        System.out.printf("%s: %d Kinesis records (%d aggregated) -> %d user records%n", file,
                set.kinesisRecords().size(), aggregates, seen.size());
    }

    @ParameterizedTest
    @FieldSource("FILES")
    void reEncodingTheDecodedRecordsReproducesKplsBytesAndSizeAccountingIsExact(String file) {
        VectorSet set = KplVectors.load(file);
        for (KinesisRecord k : set.kinesisRecords()) {
            if (!k.aggregated()) {
                continue;
            }
            AggregateEncoder encoder = new AggregateEncoder();
            List<DecodedRecord> decoded = AggregateDecoder.decode(k.data(), k.partitionKey(), null);
            for (DecodedRecord d : decoded) {
                int predicted = encoder.sizeBytesIfAdded(d.partitionKey(), d.explicitHashKey(), d.data().length);
                encoder.add(d.partitionKey(), d.explicitHashKey(), d.data());
                assertEquals(predicted, encoder.sizeBytes());
            }
            byte[] reEncoded = encoder.toByteArray();
            assertEquals(reEncoded.length, encoder.sizeBytes());
            assertArrayEquals(k.data(), reEncoded, () -> file + ": " + k.sequenceNumber());
        }
    }

    @ParameterizedTest
    @FieldSource("FILES")
    void kplsAggregatesHoldOnlyRecordsOfTheShardThatStoresThem(String file) {
        VectorSet set = KplVectors.load(file);
        for (KinesisRecord k : set.kinesisRecords()) {
            List<DecodedRecord> decoded = AggregateDecoder.decode(k.data(), k.partitionKey(), null);
            for (Shard shard : set.shards()) {
                List<DecodedRecord> kept = shard.range().filter(decoded);
                assertEquals(shard.shardId().equals(k.shardId()) ? decoded : List.of(), kept);
            }
        }
    }

    @ParameterizedTest
    @FieldSource("FILES")
    void noAggregateExceedsKplsDefaultSizeLimit(String file) {
        for (KinesisRecord k : KplVectors.load(file).kinesisRecords()) {
            if (k.aggregated()) {
                assertTrue(k.data().length <= 51_200, k.data().length + " bytes");
            } else {
                assertFalse(AggregationFormat.hasMagic(k.data()));
            }
        }
    }
}
