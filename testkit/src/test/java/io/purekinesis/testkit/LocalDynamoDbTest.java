package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

class LocalDynamoDbTest {

    @Test
    void aRestartKeepsThePortAndLosesTheInMemoryTables() {
        try (LocalDynamoDb dynamoDb = LocalDynamoDb.start();
             DynamoDbClient client = dynamoDb.syncClientBuilder().build()) {
            client.createTable(b -> b.tableName("wiped").billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder()
                            .attributeName("k").attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder()
                            .attributeName("k").keyType(KeyType.HASH).build()));
            URI endpoint = dynamoDb.endpoint();

            dynamoDb.stop();
            assertFalse(dynamoDb.isRunning());
            dynamoDb.restart();

            assertTrue(dynamoDb.isRunning());
            assertEquals(endpoint, dynamoDb.endpoint());
            assertTrue(client.listTables().tableNames().isEmpty());
        }
    }
}
