package io.purekinesis.consumer.internal.lease;

/** What one row of the lease table is, as read by {@link LeaseAttributes#read}. */
public sealed interface LeaseRow {

    /** A shard lease; {@code stream} is null when the row names no stream (written by KCL or an older version). */
    record Readable(Lease lease, StreamIdentity stream) implements LeaseRow {
    }

    /** A shard lease (or what claims to be one) that cannot be read. */
    record Unreadable(RowProblem problem) implements LeaseRow {
    }

    /** A row of another of KCL 3.x's entity types (leader lock, worker metrics, migration state): not ours. */
    record OtherEntity(String leaseKey, String entityType) implements LeaseRow {
    }
}
