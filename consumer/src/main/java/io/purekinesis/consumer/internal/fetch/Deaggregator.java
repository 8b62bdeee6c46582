package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.aggregation.MalformedAggregateException;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.internal.checkpoint.Positions;
import java.util.ArrayList;
import java.util.List;
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

    /** The outcome of one conversion. */
    public record Result(List<KinesisUserRecord> records, int outsideHashRange, long bytes) {
    }

    private Deaggregator() {
    }

    /**
     * @param range hash range of the shard, or null to keep everything
     * @param floor deliver only positions after this one; null for no floor
     */
    public static Result convert(String shardId, List<Record> records, HashKeyRange range,
            ExtendedSequenceNumber floor) {
        List<KinesisUserRecord> out = new ArrayList<>();
        int outside = 0;
        long bytes = 0;
        for (Record r : records) {
            byte[] data = r.data().asByteArray();
            List<DecodedRecord> decoded;
            try {
                decoded = AggregateDecoder.decode(data, r.partitionKey(), null, AggregateDecoder.Mode.LENIENT);
            } catch (MalformedAggregateException e) {
                log.warn("Shard {}: record {} has a valid aggregate digest but invalid content ({}); delivering it"
                        + " as one plain record", shardId, r.sequenceNumber(), e.reason());
                decoded = null;
            }
            if (decoded == null) {
                if (floor == null || Positions.compare(ExtendedSequenceNumber.of(r.sequenceNumber(), 0), floor) > 0) {
                    out.add(new KinesisUserRecord(r.partitionKey(), null, data, r.approximateArrivalTimestamp(),
                            r.sequenceNumber(), 0, false));
                    bytes += data.length;
                }
                continue;
            }
            for (DecodedRecord d : decoded) {
                if (d.aggregated() && range != null && !range.contains(d)) {
                    outside++;
                    continue;
                }
                if (floor != null && Positions.compare(ExtendedSequenceNumber.of(r.sequenceNumber(),
                        d.subSequenceNumber()), floor) <= 0) {
                    continue;
                }
                out.add(new KinesisUserRecord(d.partitionKey(), d.explicitHashKey(), d.data(),
                        r.approximateArrivalTimestamp(), r.sequenceNumber(), d.subSequenceNumber(), d.aggregated()));
                bytes += d.data().length;
            }
        }
        return new Result(out, outside, bytes);
    }
}
