package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

@ExtendWith(LocalEndpointsExtension.class)
class LocalEndpointsExtensionTest {

    private static LocalEndpoints fromBeforeAll;

    @BeforeAll
    static void staticLifecycleMethodsGetParameters(LocalEndpoints endpoints) {
        fromBeforeAll = endpoints;
    }

    @Test
    void everyParameterComesFromTheSharedPair(LocalEndpoints endpoints, LocalKinesis kinesis, LocalDynamoDb dynamoDb,
                                              KinesisAsyncClient kinesisClient, DynamoDbAsyncClient dynamoDbClient) {
        assertSame(LocalEndpoints.shared(), endpoints);
        assertSame(endpoints, fromBeforeAll);
        assertSame(endpoints.kinesis(), kinesis);
        assertSame(endpoints.dynamoDb(), dynamoDb);
        assertSame(endpoints.kinesisAsyncClient(), kinesisClient);
        assertSame(endpoints.dynamoDbAsyncClient(), dynamoDbClient);
        assertTrue(kinesis.isRunning() && dynamoDb.isRunning());
    }
}
