package io.purekinesis.aggregation;

/**
 * Constants of the KPL aggregated-record format: {@code MAGIC}, then a protobuf {@code AggregatedRecord},
 * then the 16-byte MD5 digest of exactly the protobuf bytes.
 */
public final class AggregationFormat {

    /** The four bytes every aggregated record starts with: {@code F3 89 9A C2}. */
    private static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};

    /** Length of {@link #magic()}. */
    public static final int MAGIC_LENGTH = 4;

    /** Length of the MD5 trailer. */
    public static final int DIGEST_LENGTH = 16;

    /** Bytes an aggregate adds around its protobuf body: magic plus digest. */
    public static final int OVERHEAD = MAGIC_LENGTH + DIGEST_LENGTH;

    private AggregationFormat() {
    }

    /** Returns a copy of the magic prefix. */
    public static byte[] magic() {
        return MAGIC.clone();
    }

    /**
     * True when {@code data} starts with the magic bytes. Such a blob is meant to be an aggregate;
     * whether it is a valid one is for {@link AggregateDecoder} to say.
     */
    public static boolean hasMagic(byte[] data) {
        if (data.length < MAGIC_LENGTH) {
            return false;
        }
        for (int i = 0; i < MAGIC_LENGTH; i++) {
            if (data[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    static void writeMagic(byte[] out) {
        System.arraycopy(MAGIC, 0, out, 0, MAGIC_LENGTH);
    }
}
