package io.purekinesis.producer.internal.batching;

/** What became of a record or entry offered to a shard's stage (its aggregator or its collector queue). */
public enum Offered {
    /** Taken; the sender should wake (a full call's worth, or a new send deadline that its cadence would miss). */
    WAKE,
    /** Taken. */
    QUIET,
    /** Not taken: the shard left the shard map. The caller predicts the record again with the newer map. */
    SHARD_CLOSED
}
