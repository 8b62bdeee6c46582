package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

class LocalDynamoDbTest {

    @Test
    void aFreePortTakenBeforeTheBindIsReplacedByAnother() throws Exception {
        try (ServerSocket thief = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int taken = thief.getLocalPort();
            AtomicInteger picks = new AtomicInteger();
            try (LocalDynamoDb dynamoDb = LocalDynamoDb.builder()
                    .startOnFreePort(() -> picks.getAndIncrement() == 0 ? taken : FreePorts.pick());
                 DynamoDbClient client = dynamoDb.syncClientBuilder().build()) {
                assertEquals(2, picks.get(), "a second port was picked");
                assertNotEquals(taken, dynamoDb.endpoint().getPort());
                assertTrue(client.listTables().tableNames().isEmpty());
            }
        }
    }

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

    @Test
    void fileBackedARestartKeepsTablesAndItems(@TempDir Path dir) {
        try (LocalDynamoDb dynamoDb = LocalDynamoDb.builder().dbPath(dir.resolve("db")).start();
             DynamoDbClient client = dynamoDb.syncClientBuilder().build()) {
            client.createTable(b -> b.tableName("kept").billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder()
                            .attributeName("k").attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder()
                            .attributeName("k").keyType(KeyType.HASH).build()));
            client.putItem(b -> b.tableName("kept").item(Map.of("k", AttributeValue.fromS("lease-1"),
                    "checkpoint", AttributeValue.fromS("49590338271490256608559692538361571095921575989136588898"))));

            dynamoDb.restart();

            assertTrue(dynamoDb.isRunning());
            assertEquals(dir.resolve("db"), dynamoDb.dbPath().orElseThrow());
            assertEquals("49590338271490256608559692538361571095921575989136588898", client.getItem(b -> b
                    .tableName("kept").consistentRead(true).key(Map.of("k", AttributeValue.fromS("lease-1"))))
                    .item().get("checkpoint").s());
        }
    }
}
