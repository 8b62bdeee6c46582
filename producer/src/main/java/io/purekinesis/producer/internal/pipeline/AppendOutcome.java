package io.purekinesis.producer.internal.pipeline;

/** What {@link StreamPipeline#append} did with a record. */
public enum AppendOutcome {
    /** Taken; wake the sender. */
    WAKE,
    /** Taken. */
    QUIET,
    /** Not taken: the pipeline is released or failed. The adder resolves the stream again. */
    REFUSED,
    /** Not taken: the ARN the record was added by is not this stream's. */
    WRONG_ARN
}
