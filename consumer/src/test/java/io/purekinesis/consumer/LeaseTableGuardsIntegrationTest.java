package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * What start() and a running worker do with a lease table they cannot use: rows they cannot read, a table of
 * another key schema, rows of another stream (or of a deleted stream of the same name). Nothing is skipped silently.
 */
@ExtendWith(LocalEndpointsExtension.class)
class LeaseTableGuardsIntegrationTest {

    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    private static final String SHARD0 = "shardId-000000000000";
    private static final String SHARD1 = "shardId-000000000001";

    static AttributeValue s(String v) {
        return AttributeValue.builder().s(v).build();
    }

    static AttributeValue n(long v) {
        return AttributeValue.builder().n(Long.toString(v)).build();
    }

    private static Map<String, AttributeValue> row(String key) {
        Map<String, AttributeValue> row = new HashMap<>();
        row.put("leaseKey", s(key));
        row.put("leaseCounter", n(0));
        row.put("checkpoint", s("TRIM_HORIZON"));
        row.put("checkpointSubSequenceNumber", n(0));
        return row;
    }

    private static void createLeaseTable(DynamoDbAsyncClient dynamo, String table) {
        createTable(dynamo, table, b -> b.keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S)));
    }

    private static void createTable(DynamoDbAsyncClient dynamo, String table, Consumer<CreateTableRequest.Builder> keys) {
        CreateTableRequest.Builder b = CreateTableRequest.builder().tableName(table).billingMode("PAY_PER_REQUEST");
        keys.accept(b);
        dynamo.createTable(b.build()).join();
    }

    private static List<Map<String, AttributeValue>> rows(DynamoDbAsyncClient dynamo, String table) {
        return dynamo.scan(b -> b.tableName(table).consistentRead(true)).join().items();
    }

    @Test
    void startRefusesUnreadableRowsNamingTableKeyAttributeValueAndRepair(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "unreadable", 2);
        String app = Streams.uniqueStreamName("app-unreadable");
        createLeaseTable(dynamo, app);
        Map<String, AttributeValue> noCounter = row(SHARD0);
        noCounter.remove("leaseCounter");
        Map<String, AttributeValue> badCheckpoint = row(SHARD1);
        badCheckpoint.put("checkpoint", s("not-a-sequence-number"));
        Map<String, AttributeValue> multiStream = row("123456789012:other:1700000000:shardId-000000000000");
        Map<String, AttributeValue> kclLeader = Map.of("leaseKey", s("Leader"), "entityType", s("LEADER"),
                "leaseOwner", s("kcl-worker"));
        for (Map<String, AttributeValue> r : List.of(noCounter, badCheckpoint, multiStream, kclLeader)) {
            dynamo.putItem(b -> b.tableName(app).item(r)).join();
        }
        List<Map<String, AttributeValue>> before = rows(dynamo, app);

        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1").build(),
                recorder.factory("w1"));
        LeaseTableException e = assertThrows(LeaseTableException.class, consumer::start);
        System.out.println(e.getMessage());
        String m = e.getMessage();
        assertEquals(app, e.tableName());
        assertEquals(3, e.problems().size(), "the KCL leader row is legitimate: " + e.problems());
        assertTrue(m.contains("lease table " + app) && m.contains("stream " + stream), m);
        assertTrue(m.contains("row " + SHARD0 + ": attribute leaseCounter = (missing)"), m);
        assertTrue(m.contains("row " + SHARD1 + ": attribute checkpoint = \"not-a-sequence-number\""), m);
        assertTrue(m.contains("row 123456789012:other:1700000000:shardId-000000000000: attribute leaseKey"), m);
        assertTrue(m.contains("multi-stream") && m.contains("leaseTableName"), m);
        assertTrue(m.contains("delete the row") && m.contains("initialPosition"), "what deleting does: " + m);
        assertEquals(before.size(), rows(dynamo, app).size(), "nothing written: no lease created");
        assertTrue(rows(dynamo, app).containsAll(before), "nothing written");

        // the documented repair: delete the rows; then the consumer starts and reads both shards
        for (String key : List.of(SHARD0, SHARD1, "123456789012:other:1700000000:shardId-000000000000")) {
            dynamo.deleteItem(b -> b.tableName(app).key(Map.of("leaseKey", s(key)))).join();
        }
        IntegrationSupport.fill(kinesis, stream, 3);
        KinesisConsumer repaired = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w2").build(),
                recorder.factory("w2"));
        repaired.start();
        try {
            await("both shards read after the repair", Duration.ofSeconds(30), () -> recorder.distinct() == 6);
        } finally {
            repaired.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRowThatBecomesUnreadableWhileRunningIsReportedOnceAndLeftAlone(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "unreadable-later", 2);
        IntegrationSupport.fill(kinesis, stream, 2);
        String app = Streams.uniqueStreamName("app-unreadable-later");
        IntegrationSupport.Reports reports = new IntegrationSupport.Reports();
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        // the leader reads the whole table (and finds unusable rows) every fullScanInterval: 1 s here
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1")
                .fullScanInterval(Duration.ofSeconds(1)).metrics(reports).build(), recorder.factory("w1"));
        consumer.start();
        try {
            await("both shards processed", Duration.ofSeconds(30), () -> recorder.distinct() == 4);
            // someone edits a row by hand and breaks it
            dynamo.updateItem(b -> b.tableName(app).key(Map.of("leaseKey", s(SHARD0)))
                    .updateExpression("REMOVE leaseCounter")).join();
            await("the broken row reported", Duration.ofSeconds(30), () -> !reports.unusable.isEmpty());
            await("the broken row's lease lost", Duration.ofSeconds(30), () -> reports.lost.contains(SHARD0));
            int scansAtReport = reports.scans.get();
            await("five more heartbeats (and full table reads)", Duration.ofSeconds(30),
                    () -> reports.scans.get() >= scansAtReport + 5);
            assertEquals(1, reports.unusable.size(), "reported once while unchanged: " + reports.unusable);
            assertTrue(reports.unusable.get(0).startsWith(SHARD0 + " | row " + SHARD0 + ": attribute leaseCounter"),
                    reports.unusable.get(0));
            assertFalse(consumer.heldLeases().contains(SHARD0), "not taken again");
            assertTrue(consumer.heldLeases().contains(SHARD1), "the other shard goes on");
            Map<String, AttributeValue> broken = dynamo.getItem(b -> b.tableName(app)
                    .key(Map.of("leaseKey", s(SHARD0))).consistentRead(true)).join().item();
            assertFalse(broken.containsKey("leaseCounter"), "left alone: " + broken);

            // a different problem on the same row is a change: reported again
            dynamo.updateItem(b -> b.tableName(app).key(Map.of("leaseKey", s(SHARD0)))
                    .updateExpression("SET leaseCounter = :c, checkpoint = :bad")
                    .expressionAttributeValues(Map.of(":c", n(1), ":bad", s("garbage")))).join();
            await("the changed problem reported", Duration.ofSeconds(30), () -> reports.unusable.size() == 2);
            assertTrue(reports.unusable.get(1).contains("attribute checkpoint = \"garbage\""), reports.unusable.get(1));
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTableWithAnotherKeySchemaIsRefusedNamingBothSchemasAndTheSetting(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) {
        String stream = streams.create(kinesis, "schema", 1);
        Map<String, Consumer<CreateTableRequest.Builder>> foreign = Map.of(
                "hash key id (S)", b -> b.keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                        .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S)),
                "hash key leaseKey (S), range key version (N)", b -> b.keySchema(
                        k -> k.attributeName("leaseKey").keyType(KeyType.HASH),
                        k -> k.attributeName("version").keyType(KeyType.RANGE))
                        .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S),
                                a -> a.attributeName("version").attributeType(ScalarAttributeType.N)),
                "hash key leaseKey (N)", b -> b.keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                        .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.N)));
        foreign.forEach((schema, keys) -> {
            String app = Streams.uniqueStreamName("app-schema");
            createTable(dynamo, app, keys);
            KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1")
                    .build(), () -> {
                        throw new AssertionError("nothing to process");
                    });
            LeaseTableException e = assertThrows(LeaseTableException.class, consumer::start);
            String m = e.getMessage();
            assertTrue(m.contains("lease table " + app) && m.contains("has " + schema)
                    && m.contains("hash key leaseKey (S), no range key") && m.contains("leaseTableName")
                    && m.contains("applicationName"), m);
        });
    }

    @Test
    void oneApplicationNameForTwoStreamsIsRefusedNamingBoth(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String first = streams.create(kinesis, "first", 1);
        String second = streams.create(kinesis, "second", 1);
        IntegrationSupport.fill(kinesis, first, 3);
        IntegrationSupport.fill(kinesis, second, 3);
        String app = Streams.uniqueStreamName("app-shared");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer one = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, first, "w1").build(),
                recorder.factory("w1"));
        one.start();
        try {
            await("the first stream read", Duration.ofSeconds(30), () -> recorder.distinct() == 3);
        } finally {
            one.shutdown().get(30, TimeUnit.SECONDS);
        }
        KinesisConsumer two = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, second, "w2").build(),
                recorder.factory("w2"));
        LeaseTableException e = assertThrows(LeaseTableException.class, two::start);
        String m = e.getMessage();
        System.out.println(m);
        assertTrue(m.contains("lease table " + app) && m.contains("stream/" + first) && m.contains("stream/" + second)
                && m.contains("applicationName") && m.contains("leaseTableName"), m);
        assertEquals(3, recorder.distinct(), "nothing of the second stream delivered");
    }

    @Test
    void aDeletedAndRecreatedStreamIsToldApartFromTheOldOne(LocalEndpoints endpoints, KinesisAsyncClient kinesis,
            DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "recreated", 1);
        IntegrationSupport.fill(kinesis, stream, 2);
        String app = Streams.uniqueStreamName("app-recreated");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer one = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1").build(),
                recorder.factory("w1"));
        one.start();
        try {
            await("the old stream read", Duration.ofSeconds(30), () -> recorder.distinct() == 2);
        } finally {
            one.shutdown().get(30, TimeUnit.SECONDS);
        }
        Streams.deleteStream(kinesis, stream);
        Streams.createStream(kinesis, stream, 1);
        KinesisConsumer two = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w2").build(),
                recorder.factory("w2"));
        LeaseTableException e = assertThrows(LeaseTableException.class, two::start);
        String m = e.getMessage();
        assertTrue(m.contains("deleted and created again") && m.contains("row " + SHARD0), m);
    }

    @Test
    void rowsWithoutStreamIdentityAreAcceptedAndStampedWhenTaken(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "stamp", 1);
        IntegrationSupport.fill(kinesis, stream, 2);
        String app = Streams.uniqueStreamName("app-stamp");
        createLeaseTable(dynamo, app);
        dynamo.putItem(b -> b.tableName(app).item(row(SHARD0))).join(); // as KCL or an older version wrote it
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1").build(),
                recorder.factory("w1"));
        consumer.start();
        try {
            await("the shard read", Duration.ofSeconds(30), () -> recorder.distinct() == 2);
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
        Map<String, AttributeValue> stamped = dynamo.getItem(b -> b.tableName(app)
                .key(Map.of("leaseKey", s(SHARD0))).consistentRead(true)).join().item();
        String arn = kinesis.describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary()
                .streamARN();
        assertEquals(arn, stamped.get("purekinesisStreamArn").s(), stamped.toString());
        assertTrue(stamped.containsKey("purekinesisStreamCreated"), stamped.toString());
    }
}
