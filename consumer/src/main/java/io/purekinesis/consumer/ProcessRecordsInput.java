package io.purekinesis.consumer;

import java.util.List;

/**
 * Passed to {@link RecordProcessor#processRecords}.
 *
 * @param shardId            the shard the records come from
 * @param records            de-aggregated user records in shard order, never empty, unmodifiable
 * @param millisBehindLatest how far the read was behind the tip of the shard, as Kinesis reported it
 * @param checkpointer       records progress for this shard
 */
public record ProcessRecordsInput(String shardId, List<KinesisUserRecord> records, long millisBehindLatest,
        Checkpointer checkpointer) {

    /** Copies {@code records} (unmodifiable). */
    public ProcessRecordsInput {
        records = List.copyOf(records);
    }
}
