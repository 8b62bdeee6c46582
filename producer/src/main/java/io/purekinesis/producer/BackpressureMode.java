package io.purekinesis.producer;

/** What {@code add} does when the outstanding bytes or records budget is exhausted. */
public enum BackpressureMode {
    /** Wait, oldest waiter first, up to {@link ProducerConfig#addTimeout()}, then throw {@link BufferFullException}. */
    BLOCK,
    /** Throw {@link BufferFullException} at once. */
    FAIL_FAST
}
