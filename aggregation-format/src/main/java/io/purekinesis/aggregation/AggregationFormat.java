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

    /**
     * The UTF-8 length of a partition key or explicit hash key, as Kinesis and this format count it, without
     * encoding it. Agrees with {@code String.getBytes(UTF_8)}, which writes an unpaired surrogate as one byte.
     */
    public static int utf8Length(CharSequence s) {
        int length = s.length();
        int bytes = length;
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2; // the pair is 4 bytes for 2 chars
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }
        }
        return bytes;
    }

    /**
     * Writes {@code s} into {@code out} when it is ASCII (its UTF-8 bytes are then its chars) and fits: most keys
     * are, and this encodes them without a new array. Returns the length, or -1 when {@code s} is not ASCII or is
     * longer than {@code out} (then encode it the usual way).
     */
    public static int asciiInto(String s, byte[] out) {
        int length = s.length();
        if (length > out.length) {
            return -1;
        }
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return -1;
            }
            out[i] = (byte) c;
        }
        return length;
    }

    static void writeMagic(byte[] out) {
        System.arraycopy(MAGIC, 0, out, 0, MAGIC_LENGTH);
    }
}
