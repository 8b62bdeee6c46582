package io.purekinesis.consumer.internal.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.KinesisUserRecord;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.Record;

class DeaggregatorTest {

    private static final String SEQ1 = "100";
    private static final String SEQ2 = "200";

    static Record aggregate(String seq, int count) {
        AggregateEncoder encoder = new AggregateEncoder();
        for (int i = 0; i < count; i++) {
            encoder.add("pk-" + i, null, ("r" + i).getBytes(StandardCharsets.UTF_8));
        }
        return Record.builder().sequenceNumber(seq).partitionKey("a").approximateArrivalTimestamp(Instant.EPOCH)
                .data(SdkBytes.fromByteArray(encoder.toByteArray())).build();
    }

    static Record plain(String seq, String data) {
        return Record.builder().sequenceNumber(seq).partitionKey("k").approximateArrivalTimestamp(Instant.EPOCH)
                .data(SdkBytes.fromUtf8String(data)).build();
    }

    private static List<String> data(List<KinesisUserRecord> records) {
        return records.stream().map(r -> new String(r.dataBytes(), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    @Test
    void deaggregatesWithSubSequenceNumbers() {
        Deaggregator.Result r = Deaggregator.convert("s", List.of(plain(SEQ1, "x"), aggregate(SEQ2, 3)), null, null);
        assertEquals(List.of("x", "r0", "r1", "r2"), data(r.records()));
        KinesisUserRecord second = r.records().get(2);
        assertEquals(SEQ2, second.sequenceNumber());
        assertEquals(1, second.subSequenceNumber());
        assertEquals("pk-1", second.partitionKey());
        assertTrue(second.aggregated());
        assertFalse(r.records().get(0).aggregated());
    }

    @Test
    void resumesInsideAnAggregateAfterTheCheckpointedSubRecord() {
        Deaggregator.Result r = Deaggregator.convert("s", List.of(aggregate(SEQ1, 5), plain(SEQ2, "y")), null,
                ExtendedSequenceNumber.of(SEQ1, 2));
        assertEquals(List.of("r3", "r4", "y"), data(r.records()));
        assertEquals(3, r.records().get(0).subSequenceNumber());
    }

    @Test
    void fullyCheckpointedAggregateIsSkipped() {
        Deaggregator.Result r = Deaggregator.convert("s", List.of(aggregate(SEQ1, 3), plain(SEQ2, "y")), null,
                ExtendedSequenceNumber.of(SEQ1, 2));
        assertEquals(List.of("y"), data(r.records()));
    }

    @Test
    void plainRecordAtTheCheckpointIsSkipped() {
        Deaggregator.Result r = Deaggregator.convert("s", List.of(plain(SEQ1, "x"), plain(SEQ2, "y")), null,
                ExtendedSequenceNumber.of(SEQ1, 0));
        assertEquals(List.of("y"), data(r.records()));
    }

    @Test
    void dropsAggregatedUserRecordsOutsideTheShardRangeAndCountsThem() {
        BigInteger h0 = HashKeys.partitionKeyHash("pk-0");
        Deaggregator.Result r = Deaggregator.convert("s", List.of(aggregate(SEQ1, 4)), HashKeyRange.of(h0, h0), null);
        assertEquals(List.of("r0"), data(r.records()));
        assertEquals(3, r.outsideHashRange());
    }

    @Test
    void plainRecordsAreNeverFilteredByHashKey() {
        Deaggregator.Result r = Deaggregator.convert("s", List.of(plain(SEQ1, "x")),
                HashKeyRange.of(BigInteger.ZERO, BigInteger.ZERO), null);
        assertEquals(List.of("x"), data(r.records()));
    }

    @Test
    void floorComparesSequenceNumbersAsNumbersNotAsText() {
        // "99" sorts after "100" as text; as numbers it is before, so a record at 100 is after a floor at 99/1
        Deaggregator.Result r = Deaggregator.convert("s", List.of(aggregate("99", 3), aggregate("100", 2)), null,
                ExtendedSequenceNumber.of("99", 1));
        assertEquals(List.of("r2", "r0", "r1"), data(r.records()));
    }

    @Test
    void startSentinelFloorKeepsEverythingAndShardEndFloorNothing() {
        List<Record> read = List.of(plain(SEQ1, "x"), aggregate(SEQ2, 2));
        assertEquals(List.of("x", "r0", "r1"),
                data(Deaggregator.convert("s", read, null, ExtendedSequenceNumber.TRIM_HORIZON).records()));
        assertEquals(List.of(), data(Deaggregator.convert("s", read, null, ExtendedSequenceNumber.SHARD_END).records()));
    }

    @Test
    void hashRangeIsDecidedPerKeyAcrossAggregatesAndExplicitHashKeysWin() {
        BigInteger h0 = HashKeys.partitionKeyHash("pk-0");
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("pk-0", null, "a".getBytes(StandardCharsets.UTF_8));
        // same partition key, but an explicit hash key outside the range: it is the hash key that counts
        encoder.add("pk-0", h0.add(BigInteger.ONE).toString(), "b".getBytes(StandardCharsets.UTF_8));
        encoder.add("pk-0", h0.toString(), "c".getBytes(StandardCharsets.UTF_8));
        Record withKeys = Record.builder().sequenceNumber("300").partitionKey("a")
                .approximateArrivalTimestamp(Instant.EPOCH).data(SdkBytes.fromByteArray(encoder.toByteArray()))
                .build();
        Deaggregator.Result r = Deaggregator.convert("s", List.of(aggregate(SEQ1, 3), aggregate(SEQ2, 3), withKeys),
                HashKeyRange.of(h0, h0), null);
        assertEquals(List.of("r0", "r0", "a", "c"), data(r.records()));
        assertEquals(5, r.outsideHashRange());
    }
}
