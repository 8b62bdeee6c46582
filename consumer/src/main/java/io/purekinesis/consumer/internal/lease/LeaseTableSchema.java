package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.LeaseTableException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/**
 * Checks that an existing table has a lease table's key schema (KCL's: hash key {@code leaseKey} of type S, no range
 * key) before anything reads or writes it: another application's table of the same name would otherwise fail every
 * call with a raw ValidationException, or worse, be written to.
 */
final class LeaseTableSchema {

    static final String EXPECTED = "hash key leaseKey (S), no range key";

    private LeaseTableSchema() {
    }

    /** @throws LeaseTableException naming the table, the schema it has, the one expected and the setting */
    static void check(String tableName, TableDescription table) {
        List<KeySchemaElement> keys = table.hasKeySchema() ? table.keySchema() : List.of();
        Map<String, String> types = table.hasAttributeDefinitions() ? table.attributeDefinitions().stream()
                .collect(Collectors.toMap(AttributeDefinition::attributeName, AttributeDefinition::attributeTypeAsString,
                        (a, b) -> a)) : Map.of();
        boolean ok = keys.size() == 1 && keys.get(0).keyType() == KeyType.HASH
                && LeaseAttributes.LEASE_KEY.equals(keys.get(0).attributeName())
                && "S".equals(types.get(LeaseAttributes.LEASE_KEY));
        if (ok) {
            return;
        }
        String has = keys.isEmpty() ? "no key schema" : keys.stream()
                .map(k -> (k.keyType() == KeyType.HASH ? "hash key " : "range key ") + k.attributeName() + " ("
                        + types.getOrDefault(k.attributeName(), "?") + ")")
                .collect(Collectors.joining(", "));
        String problem = "table " + tableName + " has " + has + "; a lease table has " + EXPECTED;
        throw new LeaseTableException(tableName, "lease table " + tableName + " exists but is not a lease table: it"
                + " has " + has + ", a lease table (KCL's schema) has " + EXPECTED + ". It belongs to something else:"
                + " set leaseTableName (or applicationName, which names the lease table by default) to a table of the"
                + " consumer's own; the consumer creates it if missing", List.of(problem));
    }
}
