package io.purekinesis.producer.internal;

/** UTF-8 length of a string without encoding it (agrees with {@code String.getBytes(UTF_8)}). */
public final class Utf8 {

    private Utf8() {
    }

    public static int length(CharSequence s) {
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
                bytes += 2;
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }
        }
        return bytes;
    }
}
