package io.purekinesis.producer.internal;

/**
 * What every {@link KinesisEntry} of a stream's pipeline shares, so user records need not carry it: the stream,
 * the buffered time that sets an entry's send deadline, and the TTL from which a record's arrival is derived (a
 * record keeps only its expiry).
 */
public record EntrySettings(String stream, long maxBufferedMillis, long ttlMillis) {
}
