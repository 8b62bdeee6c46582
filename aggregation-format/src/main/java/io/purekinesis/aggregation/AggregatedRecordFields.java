package io.purekinesis.aggregation;

/**
 * Field numbers and wire types of {@code src/main/proto/aggregated_record.proto}, the wire contract that
 * {@link AggregateEncoder} writes and {@link AggregateBody} reads (no code is generated from it;
 * {@code AggregatedRecordFieldsTest} checks these numbers against the file). Every field number is below 16, so
 * every tag is one byte.
 */
final class AggregatedRecordFields {

    static final int TAG_TYPE_BITS = 3;
    static final int TAG_TYPE_MASK = (1 << TAG_TYPE_BITS) - 1;

    static final int WIRETYPE_VARINT = 0;
    static final int WIRETYPE_FIXED64 = 1;
    static final int WIRETYPE_LENGTH_DELIMITED = 2;
    static final int WIRETYPE_START_GROUP = 3;
    static final int WIRETYPE_END_GROUP = 4;
    static final int WIRETYPE_FIXED32 = 5;

    /** {@code AggregatedRecord}: {@code repeated string partition_key_table = 1}. */
    static final int PARTITION_KEY_TABLE = 1;
    /** {@code AggregatedRecord}: {@code repeated string explicit_hash_key_table = 2}. */
    static final int EXPLICIT_HASH_KEY_TABLE = 2;
    /** {@code AggregatedRecord}: {@code repeated Record records = 3}. */
    static final int RECORDS = 3;

    /** {@code Record}: {@code required uint64 partition_key_index = 1}. */
    static final int RECORD_PARTITION_KEY_INDEX = 1;
    /** {@code Record}: {@code optional uint64 explicit_hash_key_index = 2}. */
    static final int RECORD_EXPLICIT_HASH_KEY_INDEX = 2;
    /** {@code Record}: {@code required bytes data = 3}. */
    static final int RECORD_DATA = 3;
    /** {@code Record}: {@code repeated Tag tags = 4}. */
    static final int RECORD_TAGS = 4;

    /** {@code Tag}: {@code required string key = 1}. */
    static final int TAG_KEY = 1;
    /** {@code Tag}: {@code optional string value = 2}. */
    static final int TAG_VALUE = 2;

    static final int PARTITION_KEY_TABLE_TAG = PARTITION_KEY_TABLE << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;
    static final int EXPLICIT_HASH_KEY_TABLE_TAG =
            EXPLICIT_HASH_KEY_TABLE << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;
    static final int RECORDS_TAG = RECORDS << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;
    static final int RECORD_PARTITION_KEY_INDEX_TAG = RECORD_PARTITION_KEY_INDEX << TAG_TYPE_BITS | WIRETYPE_VARINT;
    static final int RECORD_EXPLICIT_HASH_KEY_INDEX_TAG =
            RECORD_EXPLICIT_HASH_KEY_INDEX << TAG_TYPE_BITS | WIRETYPE_VARINT;
    static final int RECORD_DATA_TAG = RECORD_DATA << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;
    static final int RECORD_TAGS_TAG = RECORD_TAGS << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;
    static final int TAG_KEY_TAG = TAG_KEY << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;
    static final int TAG_VALUE_TAG = TAG_VALUE << TAG_TYPE_BITS | WIRETYPE_LENGTH_DELIMITED;

    /** One byte: every tag here has a field number below 16. */
    static final int TAG_SIZE = 1;

    private AggregatedRecordFields() {
    }
}
