package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Streams.ShardRecord;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ScalingType;

@ExtendWith(LocalEndpointsExtension.class)
class StreamsTest {

    @Test
    void uniqueNamesAreValidStreamNames() {
        String a = Streams.uniqueStreamName("orders test/α");
        String b = Streams.uniqueStreamName("orders test/α");
        assertNotEquals(a, b);
        assertTrue(a.matches("orders-test---[0-9]+-[0-9a-f]{6}"), a);
        assertTrue(Streams.uniqueStreamName("x".repeat(300)).length() <= 128);
    }

    @Test
    void readAllFollowsAReshardThroughClosedParentsToTheirChildren(KinesisAsyncClient kinesis) {
        String stream = Streams.uniqueStreamName("reshard");
        Streams.createStream(kinesis, stream, 1);
        put(kinesis, stream, "before", 5);

        kinesis.updateShardCount(b -> b.streamName(stream).targetShardCount(2)
                .scalingType(ScalingType.UNIFORM_SCALING)).join();
        Streams.waitForActive(kinesis, stream, Duration.ofSeconds(60));
        put(kinesis, stream, "after", 5);

        List<ShardRecord> records = Streams.readAll(kinesis, stream);
        assertEquals(10, records.size());
        Set<String> parents = records.stream().filter(r -> r.partitionKey().startsWith("before"))
                .map(ShardRecord::shardId).collect(Collectors.toSet());
        assertEquals(Set.of("shardId-000000000000"), parents);
        assertTrue(records.stream().filter(r -> r.partitionKey().startsWith("after"))
                .noneMatch(r -> parents.contains(r.shardId())));
        assertEquals("before0", records.get(0).partitionKey());
    }

    @Test
    void sdkErrorsComeThroughUnwrappedAndDeletingWaitsUntilGone(KinesisAsyncClient kinesis) {
        String stream = Streams.uniqueStreamName("twice");
        Streams.createStream(kinesis, stream, 1);
        assertThrows(ResourceInUseException.class, () -> Streams.createStream(kinesis, stream, 1));

        Streams.deleteStream(kinesis, stream);

        assertThrows(ResourceNotFoundException.class,
                () -> Futures.join(kinesis.describeStreamSummary(b -> b.streamName(stream))));
        Streams.deleteStream(kinesis, stream);
    }

    private static void put(KinesisAsyncClient kinesis, String stream, String keyPrefix, int count) {
        IntStream.range(0, count).forEach(i -> kinesis.putRecord(b -> b.streamName(stream)
                .partitionKey(keyPrefix + i).data(SdkBytes.fromUtf8String("record " + i))).join());
    }
}
