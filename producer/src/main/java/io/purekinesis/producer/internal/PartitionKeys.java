package io.purekinesis.producer.internal;

import io.purekinesis.aggregation.AggregationFormat;
import io.purekinesis.producer.KinesisProducer;

/** The partition-key rules {@code add} enforces. */
public final class PartitionKeys {

    private PartitionKeys() {
    }

    /**
     * Checks the key and returns its UTF-8 length. An unpaired surrogate is refused: Kinesis (and any UTF-8
     * encoder) would store it as '?', so distinct keys would collide and the key read back would differ.
     *
     * @throws IllegalArgumentException for a null or empty key, one over
     *     {@value KinesisProducer#MAX_PARTITION_KEY_LENGTH} UTF-16 units, or one with an unpaired surrogate
     */
    public static int utf8Length(String partitionKey) {
        if (partitionKey == null) {
            throw new IllegalArgumentException("partitionKey must not be null");
        }
        int length = partitionKey.length();
        if (length == 0 || length > KinesisProducer.MAX_PARTITION_KEY_LENGTH) {
            throw new IllegalArgumentException("partitionKey must have 1 to " + KinesisProducer.MAX_PARTITION_KEY_LENGTH
                    + " UTF-16 code units, had " + length);
        }
        for (int i = 0; i < length; i++) {
            char c = partitionKey.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 == length
                        || !Character.isLowSurrogate(partitionKey.charAt(i + 1))) {
                    throw new IllegalArgumentException(String.format("partitionKey has an unpaired surrogate U+%04X "
                            + "at index %d (of %d UTF-16 code units): it is not valid Unicode and would be stored "
                            + "as '?'", (int) c, i, length));
                }
                i++;
            }
        }
        return AggregationFormat.utf8Length(partitionKey);
    }
}
