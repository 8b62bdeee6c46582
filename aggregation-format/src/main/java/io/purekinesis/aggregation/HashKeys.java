package io.purekinesis.aggregation;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * How Kinesis maps a record to a shard: every record has a 128-bit hash key, either the explicit hash key
 * its producer gave or the MD5 of its partition key's UTF-8 bytes read as an unsigned big-endian number.
 */
public final class HashKeys {

    /** The largest hash key: 2^128 - 1. */
    public static final BigInteger MAX_HASH_KEY = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    /** MessageDigest is not thread-safe and costly to look up; one per thread keeps hashing allocation-light. */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(HashKeys::newMd5);

    private HashKeys() {
    }

    /** The hash key Kinesis uses for a record: {@code explicitHashKey} when not null, else the partition key's MD5. */
    public static BigInteger effectiveHashKey(String partitionKey, String explicitHashKey) {
        return explicitHashKey != null ? parseExplicitHashKey(explicitHashKey) : partitionKeyHash(partitionKey);
    }

    /** The MD5 of the partition key's UTF-8 bytes as an unsigned 128-bit number. */
    public static BigInteger partitionKeyHash(String partitionKey) {
        return new BigInteger(1, md5(partitionKey.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Parses an explicit hash key, which Kinesis requires to be a decimal integer in [0, 2^128 - 1].
     *
     * @throws IllegalArgumentException naming the value and the allowed range
     */
    public static BigInteger parseExplicitHashKey(String explicitHashKey) {
        if (explicitHashKey.isEmpty() || !isDecimalDigits(explicitHashKey)) {
            throw new IllegalArgumentException("explicit hash key must be a decimal integer in [0, 2^128-1], was '"
                    + abbreviate(explicitHashKey) + "'");
        }
        BigInteger value = new BigInteger(explicitHashKey);
        if (value.compareTo(MAX_HASH_KEY) > 0) {
            throw new IllegalArgumentException("explicit hash key must be at most 2^128-1 ("
                    + MAX_HASH_KEY + "), was " + abbreviate(explicitHashKey));
        }
        return value;
    }

    static byte[] md5(byte[] bytes) {
        MessageDigest digest = MD5.get();
        digest.reset();
        return digest.digest(bytes);
    }

    static MessageDigest md5Digest() {
        MessageDigest digest = MD5.get();
        digest.reset();
        return digest;
    }

    private static boolean isDecimalDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "... (" + s.length() + " characters)";
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide MD5", e);
        }
    }
}
