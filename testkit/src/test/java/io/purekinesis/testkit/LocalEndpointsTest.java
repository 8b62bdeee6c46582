package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

class LocalEndpointsTest {

    @Test
    void twoPrivatePairsRunSideBySideWithoutSeeingEachOther() {
        LocalEndpoints first = LocalEndpoints.start();
        LocalEndpoints second = LocalEndpoints.start();
        try (first; second) {
            Set<Integer> ports = Stream.of(first, second)
                    .flatMap(e -> Stream.of(e.kinesis().endpoint(), e.kinesis().tlsEndpoint(), e.dynamoDb().endpoint()))
                    .map(uri -> uri.getPort())
                    .collect(Collectors.toSet());
            assertEquals(6, ports.size(), "every endpoint on its own port: " + ports);

            String stream = "same-name";
            Streams.createStream(first.kinesisAsyncClient(), stream, 1);
            Streams.createStream(second.kinesisAsyncClient(), stream, 1);
            first.kinesisAsyncClient().putRecord(b -> b.streamName(stream).partitionKey("k")
                    .data(SdkBytes.fromUtf8String("only in the first"))).join();
            assertEquals(1, Streams.readAll(first.kinesisAsyncClient(), stream).size());
            assertEquals(0, Streams.readAll(second.kinesisAsyncClient(), stream).size());

            first.dynamoDbAsyncClient().createTable(b -> b.tableName("only-first")
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder()
                            .attributeName("k").attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder()
                            .attributeName("k").keyType(KeyType.HASH).build())).join();
            assertThrows(ResourceNotFoundException.class,
                    () -> Futures.join(second.dynamoDbAsyncClient().describeTable(b -> b.tableName("only-first"))));
        }
        for (LocalEndpoints endpoints : List.of(first, second)) {
            assertFalse(endpoints.kinesis().isRunning());
            assertFalse(endpoints.dynamoDb().isRunning());
            assertThrows(IllegalStateException.class, endpoints::kinesisAsyncClient);
        }
    }

    @Test
    void theSharedPairIsStartedOnceAndSurvivesClose() {
        LocalEndpoints shared = LocalEndpoints.shared();
        assertSame(shared, LocalEndpoints.shared());
        KinesisAsyncClient client = shared.kinesisAsyncClient();
        assertSame(client, shared.kinesisAsyncClient());

        shared.close();

        assertTrue(shared.kinesis().isRunning());
        assertTrue(shared.dynamoDb().isRunning());
        client.listStreams().join();
    }
}
