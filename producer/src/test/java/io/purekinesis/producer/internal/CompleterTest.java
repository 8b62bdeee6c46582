package io.purekinesis.producer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The record is the user's future: once completed it must not keep the data (nor the aggregate) alive. */
class CompleterTest {

    private final MemoryBudget budget = new MemoryBudget(1 << 20, 1000);
    private final List<FailedRecord> deadLettered = new ArrayList<>();
    private final Completer completer = new Completer(Runnable::run, budget, deadLettered::add,
            new ProducerMetrics() { }, "test-overflow");

    private UserRecord record(String key, byte[] data) {
        budget.reserve(data.length + key.length(), 0);
        return new UserRecord(key, null, data, HashKey128.hi(HashKeys.partitionKeyHash(key)),
                HashKey128.lo(HashKeys.partitionKeyHash(key)), 30_000, data.length + key.length());
    }

    @Test
    void aSucceededRecordLetsGoOfTheAggregateHoldingItsData() throws Exception {
        List<UserRecord> records = List.of(record("a", new byte[] {1}), record("b", new byte[] {2}));
        KinesisEntry entry = KinesisEntry.aggregate(new EntrySettings("s", 100, 30_000), records, new byte[] {9},
                "shard-0");
        completer.succeed(entry, "shard-0", "42");
        for (UserRecord r : records) {
            assertSame(r, r.future());
            assertEquals("42", r.get().sequenceNumber());
            assertTrue(r.isDecided());
            assertThrows(IllegalStateException.class, r::data, "data released: the future does not retain it");
        }
        assertEquals(0, budget.outstandingRecords());
    }

    @Test
    void aFailedRecordHandsItsDataToTheDeadLetterHandlerThenLetsGo() {
        byte[] data = {7, 8};
        UserRecord r = record("k", data);
        List<FailedRecord> failed = completer.fail("s", List.of(r), List.of(), FailureReason.NON_RETRYABLE_ERROR,
                "Code", "message", null);
        assertEquals(1, failed.size());
        assertArrayEquals(data, deadLettered.get(0).data());
        ExecutionException e = assertThrows(ExecutionException.class, r::get);
        assertTrue(e.getCause() instanceof RecordFailedException);
        assertThrows(IllegalStateException.class, r::data);
        assertFalse(r.markDone(), "decided once");
        assertEquals(0, budget.outstandingRecords());
    }

    @Test
    void aRecordWhoseDataCannotBeRestoredIsStillFailedDeadLetteredAndReleased() {
        List<UserRecord> records = List.of(record("a", new byte[] {1}), record("b", new byte[] {2}));
        // Not an aggregate of these records: decoding it back cannot give each its data.
        KinesisEntry entry = KinesisEntry.aggregate(new EntrySettings("s", 100, 30_000), records, new byte[] {9},
                "shard-0");
        List<FailedRecord> failed = completer.fail("s", records, List.of(), FailureReason.TTL_EXPIRED, "Code",
                "message", null);
        assertEquals(2, failed.size());
        assertEquals(2, deadLettered.size());
        for (int i = 0; i < 2; i++) {
            assertNull(deadLettered.get(i).data());
            assertTrue(deadLettered.get(i).lastErrorMessage().startsWith("message; the record's data could not be "
                    + "restored"), deadLettered.get(i).lastErrorMessage());
            ExecutionException e = assertThrows(ExecutionException.class, records.get(i)::get);
            assertTrue(e.getCause() instanceof RecordFailedException);
            assertTrue(e.getCause().getCause() != null, "the restore failure");
        }
        assertEquals(0, budget.outstandingRecords());
        assertEquals(0, completer.pendingTasks());
        assertTrue(entry.records().get(0).isDecided());
    }

    @Test
    void theUserCompletingTheFutureDoesNotDecideTheRecord() {
        UserRecord r = record("k", new byte[] {1});
        r.cancel(false);
        assertFalse(r.isDecided());
        assertEquals(1, r.data()[0], "still in the pipeline: its data stays until the outcome is decided");
        assertTrue(r.markDone());
    }
}
