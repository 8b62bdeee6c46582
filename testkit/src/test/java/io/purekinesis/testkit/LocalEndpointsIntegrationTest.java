package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.purekinesis.testkit.Streams.ShardRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

/** The shared local endpoints, through the extension, do what producer and consumer tests rely on. */
@ExtendWith(LocalEndpointsExtension.class)
class LocalEndpointsIntegrationTest {

    private final KinesisAsyncClient kinesis;
    private final DynamoDbAsyncClient dynamoDb;

    LocalEndpointsIntegrationTest(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamoDb) {
        this.kinesis = kinesis;
        this.dynamoDb = dynamoDb;
    }

    @Test
    void recordsOverEightKilobytesRoundTripBecauseClientsSpeakJson() {
        String stream = Streams.uniqueStreamName("round-trip");
        StreamDescriptionSummary summary = Streams.createStream(kinesis, stream, 2);
        assertEquals(2, summary.openShardCount());

        PutRecordResponse small = kinesis.putRecord(b -> b.streamName(stream).partitionKey("small")
                .data(SdkBytes.fromUtf8String("hello"))).join();
        byte[] big = new byte[20_000];
        new Random(7).nextBytes(big);
        PutRecordsResponse batch = kinesis.putRecords(b -> b.streamName(stream).records(
                entry("big", big), entry("tiny", new byte[] {1}))).join();
        assertEquals(0, batch.failedRecordCount());

        PutRecordsResultEntry bigResult = batch.records().get(0);
        Record bigRecord = readShardUntil(stream, bigResult.shardId(), bigResult.sequenceNumber());
        assertArrayEquals(big, bigRecord.data().asByteArray());
        assertEquals("big", bigRecord.partitionKey());

        Map<String, ShardRecord> all = Streams.readAll(kinesis, stream).stream()
                .collect(Collectors.toMap(ShardRecord::partitionKey, Function.identity()));
        assertEquals(3, all.size());
        assertEquals(small.shardId(), all.get("small").shardId());
        assertEquals("hello", all.get("small").record().data().asUtf8String());
        assertEquals(bigResult.shardId(), all.get("big").shardId());
        assertArrayEquals(big, all.get("big").data());
        assertEquals(batch.records().get(1).sequenceNumber(), all.get("tiny").sequenceNumber());
        Streams.deleteStream(kinesis, stream);
    }

    @Test
    void conditionalWritesBehaveLikeALeaseTable() {
        String table = "leases-" + Streams.uniqueStreamName("t");
        dynamoDb.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder()
                        .attributeName("leaseKey").attributeType(ScalarAttributeType.S).build())
                .keySchema(KeySchemaElement.builder()
                        .attributeName("leaseKey").keyType(KeyType.HASH).build())).join();
        Map<String, AttributeValue> lease = Map.of(
                "leaseKey", s("shardId-000000000000"),
                "leaseOwner", s("worker-a"),
                "leaseCounter", n(1));

        dynamoDb.putItem(b -> b.tableName(table).item(lease)
                .conditionExpression("attribute_not_exists(leaseKey)")).join();
        assertThrows(ConditionalCheckFailedException.class, () -> Futures.join(dynamoDb.putItem(b -> b
                .tableName(table).item(lease).conditionExpression("attribute_not_exists(leaseKey)"))));

        UpdateItemResponse renewed = renew(table, 1).join();
        assertEquals("2", renewed.attributes().get("leaseCounter").n());
        assertThrows(ConditionalCheckFailedException.class, () -> Futures.join(renew(table, 1)));
        dynamoDb.deleteTable(b -> b.tableName(table)).join();
    }

    private CompletableFuture<UpdateItemResponse> renew(String table, int expectedCounter) {
        return dynamoDb.updateItem(b -> b.tableName(table)
                .key(Map.of("leaseKey", s("shardId-000000000000")))
                .conditionExpression("leaseCounter = :c AND leaseOwner = :o")
                .updateExpression("SET leaseCounter = leaseCounter + :one")
                .expressionAttributeValues(Map.of(":c", n(expectedCounter), ":o", s("worker-a"), ":one", n(1)))
                .returnValues(ReturnValue.ALL_NEW));
    }

    private Record readShardUntil(String stream, String shardId, String sequenceNumber) {
        String iterator = kinesis.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).join().shardIterator();
        List<Record> seen = new ArrayList<>();
        for (int page = 0; page < 20 && iterator != null; page++) {
            String current = iterator;
            GetRecordsResponse response = kinesis.getRecords(b -> b.shardIterator(current)).join();
            for (Record r : response.records()) {
                if (r.sequenceNumber().equals(sequenceNumber)) {
                    return r;
                }
                seen.add(r);
            }
            iterator = response.nextShardIterator();
        }
        throw new AssertionError("Record " + sequenceNumber + " not found in " + shardId + "; saw " + seen);
    }

    private static PutRecordsRequestEntry entry(String partitionKey, byte[] data) {
        return PutRecordsRequestEntry.builder().partitionKey(partitionKey).data(SdkBytes.fromByteArray(data)).build();
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
