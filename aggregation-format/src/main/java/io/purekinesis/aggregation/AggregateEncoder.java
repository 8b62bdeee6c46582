package io.purekinesis.aggregation;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Arrays;
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
 * <p>Not thread-safe: one encoder belongs to one aggregate under construction. It can be reused after
 * {@link #clear()}; it then allocates nothing per record (a producer adds every user record through one).
 */
public final class AggregateEncoder {

    private static final int TAG_SIZE = AggregatedRecordFields.TAG_SIZE;

    private final KeyTable partitionKeys = new KeyTable();
    private final KeyTable explicitHashKeys = new KeyTable();
    private final RecordList records = new RecordList();
    private int protobufSize;

    /** Number of user records added so far. */
    public int count() {
        return records.count;
    }

    /** True when no user record was added since creation or the last {@link #clear()}. */
    public boolean isEmpty() {
        return records.count == 0;
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
        records.add(pkIndex, ehkIndex, data, messageSize);
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
            partitionKeys.writeTo(body, AggregatedRecordFields.PARTITION_KEY_TABLE);
            explicitHashKeys.writeTo(body, AggregatedRecordFields.EXPLICIT_HASH_KEY_TABLE);
            for (int i = 0; i < records.count; i++) {
                body.writeTag(AggregatedRecordFields.RECORDS, AggregatedRecordFields.WIRETYPE_LENGTH_DELIMITED);
                body.writeUInt32NoTag(records.messageSizes[i]);
                body.writeUInt64(AggregatedRecordFields.RECORD_PARTITION_KEY_INDEX, records.partitionKeyIndexes[i]);
                if (records.explicitHashKeyIndexes[i] >= 0) {
                    body.writeUInt64(AggregatedRecordFields.RECORD_EXPLICIT_HASH_KEY_INDEX,
                            records.explicitHashKeyIndexes[i]);
                }
                body.writeByteArray(AggregatedRecordFields.RECORD_DATA, records.data[i]);
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

    /** The added records as parallel arrays, reused from one aggregate to the next (no object per record). */
    private static final class RecordList {
        private int count;
        private int[] partitionKeyIndexes = new int[16];
        private int[] explicitHashKeyIndexes = new int[16];
        private int[] messageSizes = new int[16];
        private byte[][] data = new byte[16][];

        void add(int partitionKeyIndex, int explicitHashKeyIndex, byte[] bytes, int messageSize) {
            if (count == data.length) {
                int capacity = count * 2;
                partitionKeyIndexes = Arrays.copyOf(partitionKeyIndexes, capacity);
                explicitHashKeyIndexes = Arrays.copyOf(explicitHashKeyIndexes, capacity);
                messageSizes = Arrays.copyOf(messageSizes, capacity);
                data = Arrays.copyOf(data, capacity);
            }
            partitionKeyIndexes[count] = partitionKeyIndex;
            explicitHashKeyIndexes[count] = explicitHashKeyIndex;
            messageSizes[count] = messageSize;
            data[count] = bytes;
            count++;
        }

        void clear() {
            Arrays.fill(data, 0, count, null); // the user's arrays must not outlive the aggregate here
            count = 0;
        }
    }

    /**
     * Distinct keys in order of first use, with an open-addressing index from key to position: a lookup per added
     * record without boxing, and nothing to free per key on {@link #clear()}.
     */
    private static final class KeyTable {
        private String[] keys = new String[16];
        private int size;
        private String[] slots = new String[32];
        private int[] slotIndexes = new int[32];
        /** An ASCII key's bytes while it is written (protobuf's writeString would allocate an array per key). */
        private byte[] scratch = new byte[64];

        int indexOf(String key) {
            int mask = slots.length - 1;
            for (int i = slot(key, mask); ; i = (i + 1) & mask) {
                String k = slots[i];
                if (k == null) {
                    return -1;
                }
                if (k == key || k.equals(key)) {
                    return slotIndexes[i];
                }
            }
        }

        /** Adds a key not in the table. */
        int add(String key) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
            }
            if ((size + 1) * 2 > slots.length) { // at most half full: short probe runs
                rehash(slots.length * 2);
            }
            keys[size] = key;
            insert(key, size);
            return size++;
        }

        int size() {
            return size;
        }

        void writeTo(CodedOutputStream out, int fieldNumber) throws IOException {
            for (int i = 0; i < size; i++) {
                String key = keys[i];
                int length = copyAscii(key);
                if (length >= 0) {
                    out.writeByteArray(fieldNumber, scratch, 0, length); // what getBytes(UTF_8) would give
                } else {
                    // An unpaired surrogate becomes '?', as utf8Length counts it.
                    out.writeByteArray(fieldNumber, key.getBytes(StandardCharsets.UTF_8));
                }
            }
        }

        void clear() {
            if (size > 0) {
                Arrays.fill(keys, 0, size, null);
                Arrays.fill(slots, null);
                size = 0;
            }
        }

        private void insert(String key, int index) {
            int mask = slots.length - 1;
            int i = slot(key, mask);
            while (slots[i] != null) {
                i = (i + 1) & mask;
            }
            slots[i] = key;
            slotIndexes[i] = index;
        }

        private void rehash(int capacity) {
            slots = new String[capacity];
            slotIndexes = new int[capacity];
            for (int i = 0; i < size; i++) {
                insert(keys[i], i);
            }
        }

        private static int slot(String key, int mask) {
            int h = key.hashCode();
            return (h ^ (h >>> 16)) & mask;
        }

        /** The key into {@link #scratch} if it is ASCII (one UTF-8 byte per char): its length, else -1. */
        private int copyAscii(String key) {
            if (scratch.length < key.length()) {
                scratch = new byte[Math.max(key.length(), scratch.length * 2)];
            }
            return AggregationFormat.asciiInto(key, scratch);
        }
    }
}
