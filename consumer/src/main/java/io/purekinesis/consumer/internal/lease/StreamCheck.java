package io.purekinesis.consumer.internal.lease;

/**
 * Tells whether a lease row belongs to another stream than the one the consumer reads. An application's lease
 * table serves one stream; the rows of another (or of a deleted stream of the same name) hold checkpoints that mean
 * nothing here, and resuming from them would skip records or fail. A row that names no stream (KCL's, or written
 * before rows named their stream) is taken to be this stream's.
 */
final class StreamCheck {

    private StreamCheck() {
    }

    /** The problem with {@code row} when it names a stream other than {@code ours}; null when it is usable. */
    static RowProblem otherStream(LeaseRow.Readable row, StreamIdentity ours) {
        StreamIdentity theirs = row.stream();
        if (ours == null || theirs == null || theirs.isSameStreamAs(ours)) {
            return null;
        }
        String key = row.lease().leaseKey();
        String value = theirs.toString();
        if (theirs.isRecreationOf(ours)) {
            return new RowProblem(key, LeaseAttributes.STREAM_CREATED, value, "the row belongs to stream "
                    + theirs.streamName() + " as created at " + theirs.created() + ", but the stream of that name "
                    + "now was created at " + ours.created() + ": it was deleted and created again, and the row's "
                    + "checkpoint is about records that are gone",
                    "to read the new stream from the initialPosition, delete the lease table (or its rows), or set "
                            + "leaseTableName (or applicationName) to a new table");
        }
        return new RowProblem(key, LeaseAttributes.STREAM_ARN, value, "the row belongs to stream " + theirs
                + ", but this consumer reads stream " + ours + ": an application's lease table serves one stream,"
                + " and resuming " + ours.streamName() + " from " + theirs.streamName() + "'s checkpoints would skip"
                + " or repeat records",
                "set applicationName (or leaseTableName) to a name of its own for stream " + ours.streamName()
                        + "; delete the table only if no consumer reads stream " + theirs.streamName() + " with it");
    }
}
