package io.purekinesis.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The hand-written codec's field numbers are those of the contract, {@code aggregated_record.proto}. */
class AggregatedRecordFieldsTest {

    @Test
    void fieldNumbersAreTheProtoFiles() {
        Map<String, Integer> codec = new TreeMap<>(Map.of(
                "AggregatedRecord.partition_key_table", AggregatedRecordFields.PARTITION_KEY_TABLE,
                "AggregatedRecord.explicit_hash_key_table", AggregatedRecordFields.EXPLICIT_HASH_KEY_TABLE,
                "AggregatedRecord.records", AggregatedRecordFields.RECORDS,
                "Record.partition_key_index", AggregatedRecordFields.RECORD_PARTITION_KEY_INDEX,
                "Record.explicit_hash_key_index", AggregatedRecordFields.RECORD_EXPLICIT_HASH_KEY_INDEX,
                "Record.data", AggregatedRecordFields.RECORD_DATA,
                "Record.tags", AggregatedRecordFields.RECORD_TAGS,
                "Tag.key", AggregatedRecordFields.TAG_KEY,
                "Tag.value", AggregatedRecordFields.TAG_VALUE));
        Map<String, Integer> proto = new TreeMap<>();
        for (String message : new String[] {"AggregatedRecord", "Record", "Tag"}) {
            Descriptor d = ProtobufReference.message(message);
            for (FieldDescriptor f : d.getFields()) {
                proto.put(message + "." + f.getName(), f.getNumber());
            }
        }
        assertEquals(proto, codec);
    }

    @Test
    void tagsCombineNumberAndWireTypeAsProtobufDoes() {
        assertEquals(com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED,
                AggregatedRecordFields.WIRETYPE_LENGTH_DELIMITED);
        assertEquals(com.google.protobuf.WireFormat.WIRETYPE_VARINT, AggregatedRecordFields.WIRETYPE_VARINT);
        assertEquals(com.google.protobuf.WireFormat.WIRETYPE_START_GROUP, AggregatedRecordFields.WIRETYPE_START_GROUP);
        assertEquals(com.google.protobuf.WireFormat.WIRETYPE_END_GROUP, AggregatedRecordFields.WIRETYPE_END_GROUP);
        assertEquals(com.google.protobuf.WireFormat.WIRETYPE_FIXED32, AggregatedRecordFields.WIRETYPE_FIXED32);
        assertEquals(com.google.protobuf.WireFormat.WIRETYPE_FIXED64, AggregatedRecordFields.WIRETYPE_FIXED64);
        assertEquals(26, AggregatedRecordFields.RECORDS_TAG);
        assertEquals(8, AggregatedRecordFields.RECORD_PARTITION_KEY_INDEX_TAG);
    }
}
