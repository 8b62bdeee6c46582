package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.KinesisUserRecord;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * What one read of a shard gave, a GetRecords response (polling) or a SubscribeToShard event (fan-out), turned into
 * the {@link RecordBatch} the shard consumer takes, the same way for both: de-aggregated, filtered by the shard's
 * hash range and by the position's floor.
 *
 * @param batch              what to queue; null when there is nothing to deliver (no new user record, not the end)
 * @param lastSequenceNumber the last Kinesis record read; null when the read had none
 * @param floor              the position's floor after the batch (its last user record, else unchanged)
 * @param rawBytes           Kinesis record bytes read (what the 2 MiB/s read limit counts)
 * @param outsideHashRange   user records dropped as outside the shard's hash range
 * @param millisBehindLatest as Kinesis reported it for the read
 */
public record ReadResult(RecordBatch batch, String lastSequenceNumber, ExtendedSequenceNumber floor, long rawBytes,
        int outsideHashRange, long millisBehindLatest) {

    private static final Logger log = LoggerFactory.getLogger(ReadResult.class);

    /** Converts what was read; changes nothing (the caller queues the batch, then moves its position). */
    public static ReadResult of(String shardId, List<Record> records, HashKeyRange range, ExtendedSequenceNumber floor,
            long millisBehindLatest, boolean shardEnd, List<ChildShard> childShards) {
        Deaggregator.Result result = Deaggregator.convert(shardId, records, range, floor);
        List<KinesisUserRecord> users = result.records();
        boolean anyRecord = !records.isEmpty();
        String last = anyRecord ? records.get(records.size() - 1).sequenceNumber() : null;
        ExtendedSequenceNumber nextFloor = users.isEmpty() ? floor : users.get(users.size() - 1)
                .extendedSequenceNumber();
        long rawBytes = records.stream().mapToLong(x -> x.data().asByteArrayUnsafe().length).sum();
        RecordBatch batch = users.isEmpty() && !shardEnd ? null : new RecordBatch(users, millisBehindLatest,
                result.bytes(), shardEnd, childShards, result.footprintBytes());
        return new ReadResult(batch, last, nextFloor, rawBytes, result.outsideHashRange(), millisBehindLatest);
    }

    /** Reports the read's lag and dropped records. */
    public void report(String shardId, ConsumerMetrics metrics) {
        if (outsideHashRange > 0) {
            log.debug("Shard {}: dropped {} user records outside the shard's hash range", shardId, outsideHashRange);
            metrics.recordsOutsideHashRange(shardId, outsideHashRange);
        }
        metrics.millisBehindLatest(shardId, millisBehindLatest);
    }
}
