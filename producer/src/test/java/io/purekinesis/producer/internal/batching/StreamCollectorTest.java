package io.purekinesis.producer.internal.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.HashKey128;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamCollectorTest {

    private static KinesisEntry entry(String shard, String key, int size, long now) {
        UserRecord r = new UserRecord(key, null, new byte[size], HashKey128.hi(HashKeys.partitionKeyHash(key)),
                HashKey128.lo(HashKeys.partitionKeyHash(key)),
                now + 30_000, size + key.length());
        return KinesisEntry.plain(new EntrySettings("s", 100, 30_000), r, shard);
    }

    @Test
    void callsHoldAtMost500EntriesAnd5MiB() {
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, true, null);
        for (int i = 0; i < 1200; i++) {
            c.enqueue(entry("shard-" + (i % 3), "k" + i, 10, 0));
        }
        for (int i = 0; i < 11; i++) {
            c.enqueue(entry("shard-" + (i % 3), "b" + i, 1024 * 1000, 0));
        }
        c.flush();
        int total = 0;
        // one call per shard in flight: complete each round and drain again
        for (int round = 0; round < 20 && total < 1211; round++) {
            StreamCollector.Drained d = c.drain(0, 100);
            for (PutBatch b : d.batches) {
                assertTrue(b.entries().size() <= 500);
                assertTrue(b.sizeBytes() <= 5L * 1024 * 1024, "bytes " + b.sizeBytes());
                total += b.entries().size();
                c.complete(b, List.of());
            }
        }
        assertEquals(1211, total);
    }

    @Test
    void waitsForTheBufferedTimeUnlessACallIsFull() {
        StreamCollector c = new StreamCollector("s", 3, 5L * 1024 * 1024, 100_000, false, true, null);
        c.enqueue(entry("a", "k1", 10, 1000));
        StreamCollector.Drained d = c.drain(1050, 10);
        assertTrue(d.batches.isEmpty());
        assertEquals(1100, d.nextWakeMillis);
        c.enqueue(entry("b", "k2", 10, 1000));
        c.enqueue(entry("c", "k3", 10, 1000));
        d = c.drain(1050, 10);
        assertEquals(1, d.batches.size(), "a full call goes before its time");
        assertEquals(3, d.batches.get(0).entries().size());
    }

    @Test
    void readyEntriesGoWithoutWaitingOnceTheyAreWorthACallAndTheirShardMaySend() {
        // no wake-up for a first entry: the wake-ups seen are the ready entries'
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, false, null);
        int kib100 = 100 * 1024;
        c.enqueue(entry("a", "k1", 10, 1000));
        assertTrue(c.drain(1010, 10).batches.isEmpty(), "a partly filled entry waits for its buffered time");
        assertFalse(c.enqueue(entry("b", "k2", kib100, 1000).markReady()), "100 KiB ready: not worth a call yet");
        assertTrue(c.drain(1010, 10).batches.isEmpty());
        assertTrue(c.enqueue(entry("c", "k3", 2 * kib100, 1000).markReady()),
                "300 KiB ready, over CallBuilder.READY_BYTES_TO_SEND: wakes the sender");
        StreamCollector.Drained d = c.drain(1010, 10);
        assertEquals(1, d.batches.size(), "the ready entries go at once, and what is queued with them");
        assertEquals(3, d.batches.get(0).entries().size());
        // its shard is busy: the next ready entry of it waits for the call's end, then goes
        assertFalse(c.enqueue(entry("b", "k4", 3 * kib100, 1000).markReady()), "no wake-up while the shard's call runs");
        assertTrue(c.drain(1010, 10).batches.isEmpty());
        c.complete(d.batches.get(0), List.of());
        StreamCollector.Drained after = c.drain(1011, 10);
        assertEquals(1, after.batches.size());
        assertEquals("k4", after.batches.get(0).entries().get(0).records().get(0).partitionKey());
    }

    @Test
    void largeRecordsArrivingSlowlyShareACallAtTheirDeadline() {
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, false, null);
        for (int i = 0; i < 4; i++) {
            // each a 30 KB record alone in its aggregate: ready, but 120 KB in all is not worth an early call
            c.enqueue(entry("shard-" + i, "k" + i, 30_000, 1000 + i * 10).markReady());
            assertTrue(c.drain(1000 + i * 10, 10).batches.isEmpty());
        }
        StreamCollector.Drained d = c.drain(1100, 10);
        assertEquals(1, d.batches.size(), "one call at the first one's buffered time");
        assertEquals(4, d.batches.get(0).entries().size());
    }

    @Test
    void aThrottledShardWaitsWithoutStallingOthers() {
        // 1% of 1,000 records/s: 10 entries per second per shard, a bucket of 10
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 1, false, true, null);
        for (int i = 0; i < 30; i++) {
            c.enqueue(entry("hot", "h" + i, 10, 0));
        }
        c.enqueue(entry("cold", "c", 10, 0));
        c.flush();
        StreamCollector.Drained d = c.drain(0, 10);
        assertEquals(1, d.batches.size());
        PutBatch b = d.batches.get(0);
        assertEquals(11, b.entries().size(), "10 of the hot shard, the cold one too");
        assertTrue(b.entries().stream().anyMatch(e -> e.shardId().equals("cold")));
        assertEquals(List.of("hot"), d.throttledShards);
        assertTrue(d.nextWakeMillis > 0 && d.nextWakeMillis <= 100, "" + d.nextWakeMillis);
        c.complete(b, List.of());
        assertTrue(c.drain(1, 10).batches.isEmpty(), "no tokens yet");
        StreamCollector.Drained later = c.drain(1000, 10);
        assertEquals(10, later.batches.get(0).entries().size());
    }

    @Test
    void oneCallInFlightPerShard() {
        StreamCollector c = new StreamCollector("s", 2, 5L * 1024 * 1024, 100_000, false, true, null);
        for (int i = 0; i < 6; i++) {
            c.enqueue(entry("only", "k" + i, 10, 0));
        }
        c.flush();
        StreamCollector.Drained d = c.drain(0, 10);
        assertEquals(1, d.batches.size());
        assertTrue(c.drain(0, 10).batches.isEmpty());
        c.complete(d.batches.get(0), List.of());
        assertEquals(1, c.drain(0, 10).batches.size());
    }

    @Test
    void strictOrderingHoldsTheShardBehindItsRetry() {
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, true, true, null);
        for (int i = 0; i < 3; i++) {
            c.enqueue(entry("a", "k" + i, 10, 0));
        }
        c.enqueue(entry("b", "other", 10, 0));
        c.flush();
        StreamCollector.Drained d = c.drain(0, 10);
        PutBatch first = d.batches.get(0);
        assertEquals(2, first.entries().size(), "one entry per shard");
        KinesisEntry failed = first.entries().stream().filter(e -> e.shardId().equals("a")).findFirst().get();
        failed.notBeforeMillis(500);
        c.complete(first, List.of(failed));
        StreamCollector.Drained held = c.drain(100, 10);
        assertTrue(held.batches.isEmpty(), "shard a waits for its retry; shard b has nothing left");
        assertEquals(500, held.nextWakeMillis);
        StreamCollector.Drained retry = c.drain(500, 10);
        assertEquals(List.of(failed), retry.batches.get(0).entries());
    }

    @Test
    void expiredEntriesAreReturned() {
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, true, null);
        c.enqueue(entry("a", "k", 10, 0));
        StreamCollector.Drained d = c.drain(30_000, 10);
        assertEquals(1, d.expired.size());
        assertTrue(d.batches.isEmpty());
        assertEquals(0, c.queuedEntries());
    }

    /** A reshard: a child sends nothing while its closed parent has a call in flight or an answer held back. */
    @Test
    void childrenWaitForTheirClosedParentsCallAndHolds() {
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, true, null);
        c.enqueue(entry("p", "k1", 10, 0));
        c.enqueue(entry("p", "k2", 10, 0)); // queued behind the call below
        c.flush();
        StreamCollector.Drained d = c.drain(0, 10);
        assertEquals(1, d.batches.size());
        PutBatch parentCall = d.batches.get(0);
        c.enqueue(entry("p", "k3", 10, 0));

        List<KinesisEntry> taken = c.closeShards(List.of("p"), java.util.Map.of("c1", List.of("p")));
        assertEquals(2, parentCall.entries().size());
        assertEquals(1, taken.size(), "the unsent entry of the closed shard is handed back");
        assertEquals(Offered.SHARD_CLOSED, c.offer(entry("p", "k4", 10, 0)), "a closed shard takes no more");
        c.enqueue(entry("c1", "k5", 10, 0));
        c.flush();
        assertTrue(c.drain(0, 10).batches.isEmpty(), "the child waits for its parent's call");

        c.hold("p"); // e.g. the parent's aggregate landed on another shard
        c.complete(parentCall, List.of());
        assertTrue(c.drain(0, 10).batches.isEmpty(), "and for the parent's answer to be re-routed");

        KinesisEntry resent = entry("c1", "k1", 10, 0);
        assertTrue(c.pushFront(List.of(resent), List.of("p")));
        d = c.drain(0, 10);
        assertEquals(1, d.batches.size());
        assertEquals(resent, d.batches.get(0).entries().get(0), "re-routed entries go first");
        assertEquals(2, d.batches.get(0).entries().size());
    }

    /** Retries of a call to a shard that closed meanwhile are handed back for re-routing, holding the shard. */
    @Test
    void retriesOfAClosedShardAreHandedBack() {
        StreamCollector c = new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, true, null);
        KinesisEntry e = entry("p", "k1", 10, 0);
        c.enqueue(e);
        c.flush();
        PutBatch call = c.drain(0, 10).batches.get(0);
        c.closeShards(List.of("p"), java.util.Map.of("c1", List.of("p")));
        c.enqueue(entry("c1", "k2", 10, 0));
        assertTrue(c.complete(call, List.of(e)));
        assertEquals(List.of(e), c.takeOrphans());
        c.flush();
        assertTrue(c.drain(0, 10).batches.isEmpty(), "the child waits until the retry is re-routed");
        assertTrue(c.pushFront(List.of(entry("c1", "k1", 10, 0)), List.of("p")));
        assertEquals(2, c.drain(0, 10).batches.get(0).entries().size());
    }
}
