package io.purekinesis.producer;

/**
 * Thrown by {@code add} when a record's data plus its partition key's UTF-8 bytes exceed what Kinesis accepts
 * in one record (1 MiB).
 */
public class RecordTooLargeException extends KinesisProducerException {

    private static final long serialVersionUID = 1L;

    /** See {@link #sizeBytes()}. */
    private final long sizeBytes;
    /** See {@link #limitBytes()}. */
    private final long limitBytes;

    /** Thrown by {@code add}. */
    public RecordTooLargeException(long sizeBytes, long limitBytes) {
        super("record is " + sizeBytes + " bytes (data + partition key UTF-8 bytes), Kinesis accepts at most "
                + limitBytes + " bytes per record");
        this.sizeBytes = sizeBytes;
        this.limitBytes = limitBytes;
    }

    /** The record's data plus partition key UTF-8 bytes. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** The limit, {@link ProducerConfig#MAX_RECORD_SIZE_BYTES} (1 MiB). */
    public long limitBytes() {
        return limitBytes;
    }
}
