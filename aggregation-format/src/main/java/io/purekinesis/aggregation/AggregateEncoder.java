package io.purekinesis.aggregation;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds one aggregated record, a user record at a time, byte-for-byte as KPL writes it: the partition-key
 * table, then the explicit-hash-key table (each distinct value once, in order of first use), then the records,
 * each with field 1 always, field 2 only when an explicit hash key was given, and field 3 always.
 *
 * <p>The encoder keeps the exact serialized size as records are added, so a producer can fill an aggregate to
 * its size limit without serializing it: {@link #sizeBytes()} always equals {@code toByteArray().length}, and
 * {@link #sizeBytesIfAdded} tells what adding a record would make it, table entries included.
 *
 * <p>Not thread-safe: one encoder belongs to one aggregate under construction.
 */
public final class AggregateEncoder {

    private static final int PARTITION_KEY_TABLE_FIELD = 1;
    private static final int EXPLICIT_HASH_KEY_TABLE_FIELD = 2;
    private static final int RECORDS_FIELD = 3;
    private static final int RECORD_PARTITION_KEY_INDEX_FIELD = 1;
    private static final int RECORD_EXPLICIT_HASH_KEY_INDEX_FIELD = 2;
    private static final int RECORD_DATA_FIELD = 3;
    /** Every field number here is below 16, so every tag is one byte. */
    private static final int TAG_SIZE = 1;

    private final KeyTable partitionKeys = new KeyTable();
    private final KeyTable explicitHashKeys = new KeyTable();
    private final List<Entry> records = new ArrayList<>();
    private int protobufSize;

    private record Entry(int partitionKeyIndex, int explicitHashKeyIndex, byte[] data, int messageSize) {
    }

    /** Number of user records added so far. */
    public int count() {
        return records.size();
    }

    public boolean isEmpty() {
        return records.isEmpty();
    }

    /** Exact length of {@link #toByteArray()}: magic, protobuf body and digest. */
    public int sizeBytes() {
        return AggregationFormat.OVERHEAD + protobufSize;
    }

    /**
     * What {@link #sizeBytes()} would be after adding a record with these keys and data length, including the
     * table entries a new partition key or explicit hash key would cost.
     *
     * @param explicitHashKey null when the record has none
     */
    public int sizeBytesIfAdded(String partitionKey, String explicitHashKey, int dataLength) {
        return sizeBytes() + addedProtobufBytes(partitionKey, explicitHashKey, dataLength);
    }

    /**
     * Adds the record if the aggregate would then be at most {@code maxSizeBytes}; costs one table lookup per key.
     *
     * @return false, leaving the encoder unchanged, when the record does not fit
     */
    public boolean tryAdd(String partitionKey, String explicitHashKey, byte[] data, int maxSizeBytes) {
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(data, "data");
        int pkIndex = partitionKeys.indexOf(partitionKey);
        int ehkIndex = explicitHashKey == null ? -1 : explicitHashKeys.indexOf(explicitHashKey);
        int messageSize = messageSize(pkIndex, explicitHashKey, ehkIndex, data.length);
        int added = addedBytes(partitionKey, pkIndex, explicitHashKey, ehkIndex, messageSize);
        if ((long) sizeBytes() + added > maxSizeBytes) {
            return false;
        }
        if (pkIndex < 0) {
            pkIndex = partitionKeys.add(partitionKey);
        }
        if (explicitHashKey != null && ehkIndex < 0) {
            ehkIndex = explicitHashKeys.add(explicitHashKey);
        }
        records.add(new Entry(pkIndex, ehkIndex, data, messageSize));
        protobufSize += added;
        return true;
    }

    /**
     * Adds a record whatever the resulting size.
     *
     * @param explicitHashKey null when the record has none
     */
    public void add(String partitionKey, String explicitHashKey, byte[] data) {
        tryAdd(partitionKey, explicitHashKey, data, Integer.MAX_VALUE);
    }

    /** Serializes the aggregate: magic, protobuf body, MD5 of the body. */
    public byte[] toByteArray() {
        byte[] out = new byte[sizeBytes()];
        AggregationFormat.writeMagic(out);
        CodedOutputStream body = CodedOutputStream.newInstance(out, AggregationFormat.MAGIC_LENGTH, protobufSize);
        try {
            partitionKeys.writeTo(body, PARTITION_KEY_TABLE_FIELD);
            explicitHashKeys.writeTo(body, EXPLICIT_HASH_KEY_TABLE_FIELD);
            for (Entry entry : records) {
                body.writeTag(RECORDS_FIELD, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                body.writeUInt32NoTag(entry.messageSize);
                body.writeUInt64(RECORD_PARTITION_KEY_INDEX_FIELD, entry.partitionKeyIndex);
                if (entry.explicitHashKeyIndex >= 0) {
                    body.writeUInt64(RECORD_EXPLICIT_HASH_KEY_INDEX_FIELD, entry.explicitHashKeyIndex);
                }
                body.writeByteArray(RECORD_DATA_FIELD, entry.data);
            }
            body.checkNoSpaceLeft();
            MessageDigest md5 = HashKeys.md5Digest();
            md5.update(out, AggregationFormat.MAGIC_LENGTH, protobufSize);
            md5.digest(out, AggregationFormat.MAGIC_LENGTH + protobufSize, AggregationFormat.DIGEST_LENGTH);
        } catch (IOException | DigestException e) {
            // Only possible if the size bookkeeping is wrong, which is a bug in this class.
            throw new IllegalStateException("aggregate size accounting is inconsistent", e);
        }
        return out;
    }

    /** Empties the encoder for the next aggregate. */
    public void clear() {
        partitionKeys.clear();
        explicitHashKeys.clear();
        records.clear();
        protobufSize = 0;
    }

    private int addedProtobufBytes(String partitionKey, String explicitHashKey, int dataLength) {
        int pkIndex = partitionKeys.indexOf(partitionKey);
        int ehkIndex = explicitHashKey == null ? -1 : explicitHashKeys.indexOf(explicitHashKey);
        return addedBytes(partitionKey, pkIndex, explicitHashKey, ehkIndex,
                messageSize(pkIndex, explicitHashKey, ehkIndex, dataLength));
    }

    /** Size of a record message; an index of -1 means the key is new and gets the next table slot. */
    private int messageSize(int pkIndex, String explicitHashKey, int ehkIndex, int dataLength) {
        int size = TAG_SIZE + CodedOutputStream.computeUInt64SizeNoTag(pkIndex >= 0 ? pkIndex : partitionKeys.size());
        if (explicitHashKey != null) {
            size += TAG_SIZE + CodedOutputStream.computeUInt64SizeNoTag(
                    ehkIndex >= 0 ? ehkIndex : explicitHashKeys.size());
        }
        return size + TAG_SIZE + CodedOutputStream.computeUInt32SizeNoTag(dataLength) + dataLength;
    }

    /** Body bytes a record adds: new table entries plus the framed record message. */
    private static int addedBytes(String partitionKey, int pkIndex, String explicitHashKey, int ehkIndex,
            int messageSize) {
        int tableBytes = (pkIndex >= 0 ? 0 : tableEntrySize(partitionKey))
                + (explicitHashKey == null || ehkIndex >= 0 ? 0 : tableEntrySize(explicitHashKey));
        return tableBytes + TAG_SIZE + CodedOutputStream.computeUInt32SizeNoTag(messageSize) + messageSize;
    }

    private static int tableEntrySize(String key) {
        int length = AggregationFormat.utf8Length(key);
        return TAG_SIZE + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
    }

    /** Distinct keys in order of first use, with their UTF-8 bytes for writing. */
    private static final class KeyTable {
        private final Map<String, Integer> indexes = new HashMap<>();
        private final List<byte[]> encoded = new ArrayList<>();

        int indexOf(String key) {
            Integer index = indexes.get(key);
            return index == null ? -1 : index;
        }

        int add(String key) {
            int index = encoded.size();
            indexes.put(key, index);
            encoded.add(key.getBytes(StandardCharsets.UTF_8));
            return index;
        }

        int size() {
            return encoded.size();
        }

        void writeTo(CodedOutputStream out, int fieldNumber) throws IOException {
            for (byte[] key : encoded) {
                out.writeByteArray(fieldNumber, key);
            }
        }

        void clear() {
            indexes.clear();
            encoded.clear();
        }
    }
}
