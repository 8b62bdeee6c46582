package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.samples.Ledger.Reconciliation;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The demo's bookkeeping: distinct records, duplicates, losses and per-key order. */
class LedgerTest {

    private final Ledger ledger = new Ledger(6, 2); // keys 0,1; record n has key n % 2 and seq n / 2

    @Test
    void cleanRunReconcilesToZero() {
        for (int n = 0; n < 6; n++) {
            ledger.produced();
            ledger.acknowledged(n, false);
            consume(n);
        }
        Reconciliation r = ledger.reconcile();
        assertTrue(r.ok(), r.toString());
        assertEquals("RESULT produced=6 acknowledged=6 consumed=6 duplicates=0 deadLettered=0 lost=0",
                r.resultLine());
    }

    @Test
    void countsDuplicatesAndLossesAndAllowsLateRedeliveries() {
        for (int n = 0; n < 6; n++) {
            ledger.produced();
            ledger.acknowledged(n, false);
        }
        consume(0);
        consume(2);
        consume(0); // re-delivered after seq 1 of key 0: a duplicate, not an order violation
        consume(1);
        Reconciliation r = ledger.reconcile();
        assertEquals(3, r.consumed());
        assertEquals(1, r.duplicates());
        assertEquals(3, r.lost());
        assertEquals(0, r.orderViolations());
        assertFalse(r.ok());
    }

    @Test
    void aKeyGoingBackwardsIsAViolationAttributedToResends() {
        for (int n = 0; n < 6; n++) {
            ledger.produced();
        }
        consume(4); // key 0 seq 2
        consume(2); // key 0 seq 1: first delivery, but behind seq 2
        consume(1);
        ledger.acknowledged(2, true); // the producer had resent it after a wrong shard
        ledger.acknowledged(4, false);
        ledger.acknowledged(1, false);
        Reconciliation r = ledger.reconcile();
        assertEquals(1, r.orderViolations());
        assertEquals(1, r.violationsAfterResend());
        assertEquals(1, r.resent());
        assertTrue(r.problems().contains("order: key-0 seq 1 consumed after seq 2"), r.problems().toString());
        assertFalse(r.ok());
    }

    @Test
    void foreignRecordsAreProblems() {
        ledger.consumed("key-0", "hello".getBytes(StandardCharsets.US_ASCII));
        ledger.consumed("key-1", ledger.payload(0, 40)); // record 0 belongs to key-0
        Reconciliation r = ledger.reconcile();
        assertEquals(0, r.consumed());
        assertEquals(0, r.duplicates());
        assertTrue(r.problems().contains("2 consumed records were not the demo's"), r.problems().toString());
    }

    @Test
    void payloadHasTheRequestedSizeAndNamesKeyAndSequence() {
        byte[] data = ledger.payload(5, 100);
        assertEquals(100, data.length);
        assertTrue(new String(data, StandardCharsets.US_ASCII).startsWith("key-1 seq-2 n-5 ."));
    }

    private void consume(int n) {
        ledger.consumed(ledger.partitionKeyOf(n), ledger.payload(n, 32));
    }
}
