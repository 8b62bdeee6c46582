package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.consumer.KinesisUserRecord;
import java.util.List;
import software.amazon.awssdk.services.kinesis.model.ChildShard;

/**
 * One GetRecords response after de-aggregation and filtering.
 *
 * @param records            user records to deliver (may be empty only when {@code shardEnd})
 * @param millisBehindLatest as reported by Kinesis
 * @param bytes              total user data bytes
 * @param shardEnd           the shard is closed and this was its last batch
 * @param childShards        the closed shard's children (when {@code shardEnd})
 * @param footprintBytes     estimated heap the records hold; what the prefetch bound counts
 */
public record RecordBatch(List<KinesisUserRecord> records, long millisBehindLatest, long bytes, boolean shardEnd,
        List<ChildShard> childShards, long footprintBytes) {

    public RecordBatch {
        records = List.copyOf(records);
        childShards = childShards == null ? List.of() : List.copyOf(childShards);
    }
}
