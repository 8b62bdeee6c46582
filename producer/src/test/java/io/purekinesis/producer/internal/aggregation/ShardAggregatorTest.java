package io.purekinesis.producer.internal.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.HashKey128;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.StreamCollector;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardAggregatorTest {

    private static final EntrySettings SETTINGS = new EntrySettings("s", 100, 30_000);

    private static UserRecord record(String key, int size, long now) {
        return new UserRecord(key, null, new byte[size], HashKey128.hi(HashKeys.partitionKeyHash(key)),
                HashKey128.lo(HashKeys.partitionKeyHash(key)), now + 30_000,
                size + key.length());
    }

    private static List<KinesisEntry> drainAll(StreamCollector collector) {
        collector.flush();
        return collector.drain(0, 1000).batches.stream().flatMap(b -> b.entries().stream()).toList();
    }

    private static StreamCollector collector() {
        return new StreamCollector("s", 500, 5L * 1024 * 1024, 100_000, false, true, null);
    }

    @Test
    void aggregatesNeverExceedTheMaxSize() {
        StreamCollector collector = collector();
        ShardAggregator aggregator = new ShardAggregator("shard-0", 51_200, Integer.MAX_VALUE, SETTINGS, true);
        Random random = new Random(1);
        for (int i = 0; i < 5000; i++) {
            aggregator.append(record("k" + random.nextInt(500), random.nextInt(2000), 0), collector);
        }
        aggregator.sealIfDue(0, true, collector);
        int records = 0;
        for (KinesisEntry e : drainAll(collector)) {
            assertTrue(e.sdkEntry().data().asByteArray().length <= 51_200);
            records += AggregateDecoder.decode(e.sdkEntry().data().asByteArray(), e.sdkEntry().partitionKey(),
                    e.sdkEntry().explicitHashKey()).size();
            assertEquals(e.records().size() > 1, e.aggregated());
        }
        assertEquals(5000, records);
    }

    @Test
    void aLoneRecordIsSentPlainAndATooLargeOneGoesPlainInOrder() {
        StreamCollector collector = collector();
        ShardAggregator aggregator = new ShardAggregator("shard-0", 1000, Integer.MAX_VALUE, SETTINGS, true);
        aggregator.append(record("a", 10, 0), collector);
        aggregator.append(record("b", 10, 0), collector);
        aggregator.append(record("big", 990, 0), collector); // cannot fit alone in 1000 with the overhead
        aggregator.append(record("c", 10, 0), collector);
        aggregator.sealIfDue(0, true, collector);
        List<KinesisEntry> entries = drainAll(collector);
        assertEquals(3, entries.size());
        assertTrue(entries.get(0).aggregated());
        assertEquals(2, entries.get(0).records().size());
        assertFalse(entries.get(1).aggregated());
        assertEquals("big", entries.get(1).sdkEntry().partitionKey());
        assertFalse(entries.get(2).aggregated(), "a single record is sent plain");
        assertEquals("c", entries.get(2).sdkEntry().partitionKey());
        assertEquals(HashKeys.partitionKeyHash("c").toString(), entries.get(2).sdkEntry().explicitHashKey());
        // sealed because "big" did not fit, and "big" itself: full, ready at once; "c" sealed by time: not ready
        assertEquals(List.of(true, true, false), entries.stream().map(KinesisEntry::ready).toList());
    }

    @Test
    void sealsOnlyWhenDueUnlessForced() {
        StreamCollector collector = collector();
        ShardAggregator aggregator = new ShardAggregator("shard-0", 51_200, Integer.MAX_VALUE, SETTINGS, true);
        assertTrue(aggregator.append(record("a", 10, 1000), collector), "a new aggregate wakes the sender");
        assertFalse(aggregator.append(record("b", 10, 1050), collector));
        assertEquals(1100, aggregator.deadlineMillis());
        aggregator.sealIfDue(1099, false, collector);
        assertEquals(0, collector.queuedEntries());
        aggregator.sealIfDue(1100, false, collector);
        assertEquals(1, collector.queuedEntries());
        assertEquals(Long.MAX_VALUE, aggregator.deadlineMillis());
    }

    @Test
    void maxCountSealsTheAggregate() {
        StreamCollector collector = collector();
        ShardAggregator aggregator = new ShardAggregator("shard-0", 51_200, 3, SETTINGS, true);
        for (int i = 0; i < 7; i++) {
            aggregator.append(record("k" + i, 1, 0), collector);
            assertEquals((i + 1) / 3, collector.queuedEntries(), "sealed as soon as it holds maxCount records");
        }
        aggregator.sealIfDue(0, true, collector);
        List<KinesisEntry> entries = drainAll(collector);
        assertEquals(List.of(3, 3, 1), entries.stream().map(e -> e.records().size()).toList());
        assertEquals(List.of(true, true, false), entries.stream().map(KinesisEntry::ready).toList(),
                "an aggregate at maxCount is full");
    }
}
