package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.AggregationFormat;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.aggregation.MalformedAggregateException;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.internal.Positions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Turns Kinesis records into user records: de-aggregates KPL aggregates (leniently, as KCL does), drops user
 * records of an aggregate whose hash key lies outside the shard's range, and drops positions at or before a floor
 * (the checkpoint when resuming inside an aggregate, or the last record already delivered).
 */
public final class Deaggregator {

    private static final Logger log = LoggerFactory.getLogger(Deaggregator.class);

    /**
     * Heap a user record takes beyond its data and strings: the KinesisUserRecord object (~40 bytes), the headers of
     * its byte[] and two Strings with their arrays (~16 + 2 x 40), the arrival Instant (~24) and its list slot, about
     * 120 bytes together on a 64-bit JVM. Small records are dominated by this, not by their data.
     */
    static final long PER_RECORD_OVERHEAD_BYTES = 120;

    /**
     * The outcome of one conversion.
     *
     * @param bytes          user data bytes
     * @param footprintBytes estimated heap the records hold ({@link #footprint})
     */
    public record Result(List<KinesisUserRecord> records, int outsideHashRange, long bytes, long footprintBytes) {
    }

    private Deaggregator() {
    }

    /**
     * @param range hash range of the shard, or null to keep everything
     * @param floor deliver only positions after this one; null for no floor
     */
    public static Result convert(String shardId, List<Record> records, HashKeyRange range,
            ExtendedSequenceNumber floor) {
        List<KinesisUserRecord> out = new ArrayList<>(records.size()); // at least one each, unless filtered
        int outside = 0;
        long bytes = 0;
        long footprint = 0;
        InRange inRange = range == null ? null : new InRange(range);
        boolean pastFloor = false;
        for (Record r : records) {
            // not copied: nothing writes to it, and a plain record's KinesisUserRecord hands out only read-only views
            // and copies of it (an aggregate's user records are copied out of it by the decoder)
            byte[] data = r.data().asByteArrayUnsafe();
            List<DecodedRecord> decoded = null; // null: deliver the Kinesis record as one plain user record
            try {
                if (AggregationFormat.hasMagic(data)) { // a plain record skips the decoder and its allocations
                    decoded = AggregateDecoder.decode(data, r.partitionKey(), null, AggregateDecoder.Mode.LENIENT);
                }
            } catch (MalformedAggregateException e) {
                log.warn("Shard {}: record {} has a valid aggregate digest but invalid content ({}); delivering it"
                        + " as one plain record", shardId, r.sequenceNumber(), e.reason());
            }
            // the floor is compared per Kinesis record, not per user record: user records of a record after the
            // floor's all pass, of one before it none, and of the floor's own record those after its sub-sequence
            // number. A read's records come in sequence order, so once one is after the floor, so are the rest.
            int vsFloor = pastFloor || floor == null ? 1 : Positions.compareToPosition(r.sequenceNumber(), floor);
            pastFloor = vsFloor > 0;
            if (decoded == null) {
                if (vsFloor > 0) { // the floor's own plain record (sub-sequence number 0) was delivered
                    out.add(new KinesisUserRecord(r.partitionKey(), null, data, r.approximateArrivalTimestamp(),
                            r.sequenceNumber(), 0, false));
                    bytes += data.length;
                    footprint += footprint(data.length, r.partitionKey(), null, r.sequenceNumber());
                }
                continue;
            }
            for (DecodedRecord d : decoded) {
                if (d.aggregated() && range != null && !inRange.test(d)) {
                    outside++;
                    continue;
                }
                if (vsFloor < 0 || (vsFloor == 0 && d.subSequenceNumber() <= floor.subSequenceNumber())) {
                    continue;
                }
                out.add(new KinesisUserRecord(d.partitionKey(), d.explicitHashKey(), d.data(),
                        r.approximateArrivalTimestamp(), r.sequenceNumber(), d.subSequenceNumber(), d.aggregated()));
                bytes += d.data().length;
                footprint += footprint(d.data().length, d.partitionKey(), d.explicitHashKey(), r.sequenceNumber());
            }
        }
        return new Result(out, outside, bytes, footprint);
    }

    /**
     * Whether user records lie in the shard's hash range, remembered per partition key (and explicit hash key) for
     * one response: the MD5 of a partition key is the costly part, and a response of aggregates repeats keys.
     */
    private static final class InRange {
        private final HashKeyRange range;
        private final Map<String, Boolean> byPartitionKey = new HashMap<>();
        private Map<String, Boolean> byExplicitHashKey; // rare: made when first needed

        InRange(HashKeyRange range) {
            this.range = range;
        }

        boolean test(DecodedRecord d) {
            Map<String, Boolean> known;
            String key;
            if (d.explicitHashKey() != null) { // then it is the hash key, whatever the partition key
                if (byExplicitHashKey == null) {
                    byExplicitHashKey = new HashMap<>();
                }
                known = byExplicitHashKey;
                key = d.explicitHashKey();
            } else {
                known = byPartitionKey;
                key = d.partitionKey();
            }
            Boolean in = known.get(key);
            if (in == null) {
                in = range.contains(d);
                known.put(key, in);
            }
            return in;
        }
    }

    /**
     * Estimated heap of one user record: data, strings at 2 bytes per char (an upper bound) and a fixed overhead.
     * The sequence number string is counted for each user record even when an aggregate's records share it.
     */
    static long footprint(int dataLength, String partitionKey, String explicitHashKey, String sequenceNumber) {
        return dataLength + 2L * length(partitionKey) + 2L * length(explicitHashKey) + 2L * length(sequenceNumber)
                + PER_RECORD_OVERHEAD_BYTES;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}
