package io.purekinesis.aggregation;

/** UTF-8 length of a string without encoding it, agreeing with {@code String.getBytes(UTF_8)}. */
final class Utf8Length {

    private Utf8Length() {
    }

    static int of(CharSequence s) {
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
            } else if (Character.isSurrogate(c)) {
                // String.getBytes replaces an unpaired surrogate with '?': one byte, already counted.
                continue;
            } else {
                bytes += 2;
            }
        }
        return bytes;
    }
}
