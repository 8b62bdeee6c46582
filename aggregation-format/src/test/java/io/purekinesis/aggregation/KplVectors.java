package io.purekinesis.aggregation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The interop vectors written by the real KPL 1.1.1 (see src/test/resources/kpl-vectors/README.md). */
final class KplVectors {

    static final List<String> FILES = List.of("a_tiny_records.json", "c_mixed_sizes.json",
            "e_single_record.json", "f_empty_data.json", "g_full_aggregates.json");

    record UserRecord(int index, String partitionKey, String explicitHashKey, byte[] data, String effectiveHashKey,
            String shardId, String sequenceNumber, long subSequenceNumber, boolean aggregated) {
    }

    record KinesisRecord(String shardId, String sequenceNumber, String partitionKey, byte[] data,
            boolean aggregated, List<Integer> userRecordIndexes) {
    }

    record Shard(String shardId, HashKeyRange range) {
    }

    record VectorSet(String name, List<UserRecord> userRecords, List<KinesisRecord> kinesisRecords,
            List<Shard> shards) {
    }

    private KplVectors() {
    }

    static VectorSet load(String file) {
        try (InputStream in = KplVectors.class.getResourceAsStream("/kpl-vectors/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /kpl-vectors/" + file);
            }
            JsonNode root = new ObjectMapper().readTree(in);
            return new VectorSet(file, userRecords(root), kinesisRecords(root), shards(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<UserRecord> userRecords(JsonNode root) {
        List<UserRecord> out = new ArrayList<>();
        for (JsonNode u : root.get("user_records")) {
            JsonNode result = u.get("kpl_result");
            out.add(new UserRecord(u.get("index").asInt(), u.get("partition_key").asText(),
                    u.hasNonNull("explicit_hash_key") ? u.get("explicit_hash_key").asText() : null,
                    Base64.getDecoder().decode(u.get("data_base64").asText()),
                    u.get("effective_hash_key").asText(), result.get("shard_id").asText(),
                    result.get("sequence_number").asText(), u.get("sub_sequence_number_derived").asLong(),
                    u.get("stored_as").asText().startsWith("inside aggregated")));
        }
        return out;
    }

    private static List<KinesisRecord> kinesisRecords(JsonNode root) {
        List<KinesisRecord> out = new ArrayList<>();
        for (JsonNode k : root.get("kinesis_records")) {
            List<Integer> indexes = new ArrayList<>();
            if (k.get("aggregated").asBoolean()) {
                for (JsonNode r : k.get("aggregate").get("records")) {
                    indexes.add(r.get("user_record_index").asInt());
                }
            }
            out.add(new KinesisRecord(k.get("shard_id").asText(), k.get("sequence_number").asText(),
                    k.get("partition_key").asText(), Base64.getDecoder().decode(k.get("data_base64").asText()),
                    k.get("aggregated").asBoolean(), indexes));
        }
        return out;
    }

    private static List<Shard> shards(JsonNode root) {
        List<Shard> out = new ArrayList<>();
        for (JsonNode s : root.get("stream").get("shards")) {
            out.add(new Shard(s.get("shard_id").asText(),
                    HashKeyRange.of(s.get("starting_hash_key").asText(), s.get("ending_hash_key").asText())));
        }
        return out;
    }
}
