package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import org.junit.jupiter.api.Test;

class PositionsTest {

    private static final String LONG = "49590338271490256608559692538361571095921575989136588898";

    @Test
    void sequenceNumbersCompareAsNumbers() {
        assertTrue(Positions.compareSequenceNumbers("99", "100") < 0);
        assertTrue(Positions.compareSequenceNumbers("100", "99") > 0);
        assertEquals(0, Positions.compareSequenceNumbers(LONG, LONG));
        assertTrue(Positions.compareSequenceNumbers(LONG, LONG.substring(0, LONG.length() - 1) + "9") < 0);
        assertTrue(Positions.compareSequenceNumbers("0", "1") < 0);
    }

    @Test
    void nonCanonicalFormsStillCompareAsNumbers() {
        assertEquals(0, Positions.compareSequenceNumbers("007", "7"));
        assertTrue(Positions.compareSequenceNumbers("0100", "99") > 0);
    }

    @Test
    void aRecordsSequenceNumberAgainstAPositionAgreesWithCompare() {
        String seq = "49590338271490256608559692538361571095921575989136588801";
        for (ExtendedSequenceNumber p : new ExtendedSequenceNumber[] {ExtendedSequenceNumber.TRIM_HORIZON,
                ExtendedSequenceNumber.LATEST, ExtendedSequenceNumber.SHARD_END, ExtendedSequenceNumber.of("9", 0),
                ExtendedSequenceNumber.of(seq, 0), ExtendedSequenceNumber.of(seq, 7),
                ExtendedSequenceNumber.of(seq + "0", 0)}) {
            int expected = p.isSentinel() || p == ExtendedSequenceNumber.SHARD_END
                    ? Integer.signum(Positions.compare(ExtendedSequenceNumber.of(seq, 0), p))
                    : Integer.signum(Positions.compareSequenceNumbers(seq, p.sequenceNumber()));
            assertEquals(expected, Integer.signum(Positions.compareToPosition(seq, p)), p.toString());
        }
        assertEquals(0, Positions.compareToPosition(seq, ExtendedSequenceNumber.of(seq, 7)),
                "the position's own Kinesis record, whatever its sub-sequence number");
        assertTrue(Positions.compareToPosition(seq, ExtendedSequenceNumber.SHARD_END) < 0);
        assertTrue(Positions.compareToPosition(seq, ExtendedSequenceNumber.TRIM_HORIZON) > 0);
    }

    @Test
    void sentinelsComeBeforeRealPositionsAndShardEndAfter() {
        ExtendedSequenceNumber p = ExtendedSequenceNumber.of("5", 3);
        assertTrue(Positions.compare(ExtendedSequenceNumber.TRIM_HORIZON, p) < 0);
        assertTrue(Positions.compare(ExtendedSequenceNumber.SHARD_END, p) > 0);
        assertEquals(0, Positions.compare(ExtendedSequenceNumber.LATEST, ExtendedSequenceNumber.TRIM_HORIZON));
        assertTrue(Positions.compare(ExtendedSequenceNumber.of("5", 4), p) > 0);
        assertTrue(Positions.compare(ExtendedSequenceNumber.of("10", 0), p) > 0);
    }
}
