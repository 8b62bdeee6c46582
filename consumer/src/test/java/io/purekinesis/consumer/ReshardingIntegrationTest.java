package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/** A split while consuming: the parent is finished to SHARD_END, then its children are processed. */
@ExtendWith(LocalEndpointsExtension.class)
class ReshardingIntegrationTest {

    /** Deleted after each test: the emulator allows 50 open shards, and the module's tests share it. */
    private final IntegrationSupport.TestStreams streams = new IntegrationSupport.TestStreams();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        streams.deleteAll(kinesis);
    }

    @ParameterizedTest
    @EnumSource(RetrievalMode.class)
    void splitShardParentEndsThenChildrenAreProcessed(RetrievalMode mode, LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = streams.create(kinesis, "split", 1);
        Set<String> expected = new HashSet<>(IntegrationSupport.fill(kinesis, stream, 20));
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        KinesisConsumer consumer = new KinesisConsumer(config(endpoints, kinesis, dynamo,
                Streams.uniqueStreamName("app-split"), stream, "w1", mode).shardSyncInterval(Duration.ofSeconds(1))
                .build(), recorder.factory("w1"));
        consumer.start();
        try {
            await("parent records", Duration.ofSeconds(60), () -> recorder.distinct() == 20);
            Shard parent = IntegrationSupport.shards(kinesis, stream).get(0);
            BigInteger middle = new BigInteger(parent.hashKeyRange().endingHashKey()).shiftRight(1);
            kinesis.splitShard(b -> b.streamName(stream).shardToSplit(parent.shardId())
                    .newStartingHashKey(middle.toString())).join();
            await("stream active after split", Duration.ofSeconds(60), () -> kinesis.describeStreamSummary(
                    b -> b.streamName(stream)).join().streamDescriptionSummary().streamStatus() == StreamStatus.ACTIVE);
            List<Shard> shards = IntegrationSupport.shards(kinesis, stream);
            assertEquals(3, shards.size());
            // 10 records into each child (fill puts into every shard; the closed parent refuses nothing of ours
            // because explicit hash keys route to the open children)
            for (Shard child : shards.subList(1, 3)) {
                for (int i = 0; i < 10; i++) {
                    String data = child.shardId() + "#" + i;
                    expected.add(data);
                    kinesis.putRecord(b -> b.streamName(stream).partitionKey("k")
                            .explicitHashKey(child.hashKeyRange().startingHashKey())
                            .data(software.amazon.awssdk.core.SdkBytes.fromUtf8String(data))).join();
                }
            }
            await("children processed", Duration.ofSeconds(60), () -> recorder.distinct() == expected.size());
            assertEquals(expected, recorder.deliveries.keySet());
            assertEquals(List.of(), recorder.duplicates());
            assertEquals(ExtendedSequenceNumber.SHARD_END, recorder.lastCheckpoint.get("w1/" + parent.shardId()));
        } finally {
            consumer.shutdown().get(30, TimeUnit.SECONDS);
        }
    }
}
