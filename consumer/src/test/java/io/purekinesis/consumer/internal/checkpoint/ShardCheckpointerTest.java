package io.purekinesis.consumer.internal.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InvalidCheckpointException;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.Positions;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

class ShardCheckpointerTest {

    private static final String SHARD = "shardId-000000000000";
    private static final String SEQ1 = "49590338271490256608559692538361571095921575989136588801";
    private static final String SEQ2 = "49590338271490256608559692538361571095921575989136588802";
    private static final String SEQ3 = "49590338271490256608559692538361571095921575989136588803";

    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    /** The waits between write attempts pass in virtual time. */
    private final ManualScheduler time = new ManualScheduler();

    private ShardCheckpointer checkpointer(ExtendedSequenceNumber start) {
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenAnswer(inv -> {
            UpdateItemRequest r = inv.getArgument(0);
            return CompletableFuture.completedFuture(UpdateItemResponse.builder().attributes(Map.of(
                    "leaseKey", AttributeValue.builder().s(SHARD).build(),
                    "leaseOwner", AttributeValue.builder().s("A").build(),
                    "leaseCounter", AttributeValue.builder().n("1").build(),
                    "checkpoint", r.expressionAttributeValues().get(":cp"),
                    "checkpointSubSequenceNumber", r.expressionAttributeValues().get(":cps"))).build());
        });
        return new ShardCheckpointer(SHARD, "A", new LeaseTable(dynamo, "app"), start, ConsumerMetrics.NOOP, time,
                new Random(1));
    }

    private static KinesisUserRecord record(String seq, long sub) {
        return new KinesisUserRecord("pk", null, new byte[1], Instant.now(), seq, sub, sub > 0);
    }

    @Test
    void checkpointsLastDeliveredRecord() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        c.delivered(ExtendedSequenceNumber.of(SEQ2, 4));
        c.checkpoint();
        assertEquals(ExtendedSequenceNumber.of(SEQ2, 4), c.lastCheckpoint());
        ArgumentCaptor<UpdateItemRequest> captor = ArgumentCaptor.forClass(UpdateItemRequest.class);
        verify(dynamo).updateItem(captor.capture());
        UpdateItemRequest r = captor.getValue();
        assertEquals(SEQ2, r.expressionAttributeValues().get(":cp").s());
        assertEquals("4", r.expressionAttributeValues().get(":cps").n());
        assertTrue(r.conditionExpression().contains("#o = :me"), r.conditionExpression());
    }

    @Test
    void nothingDeliveredMeansNothingWritten() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        c.checkpoint();
        verify(dynamo, never()).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void refusesBeyondDelivered() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        c.delivered(ExtendedSequenceNumber.of(SEQ2, 0));
        InvalidCheckpointException e = assertThrows(InvalidCheckpointException.class, () -> c.checkpoint(SEQ3, 0));
        assertTrue(e.getMessage().contains("beyond"), e.getMessage());
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint(SEQ2, 1));
        verify(dynamo, never()).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void refusesBeforeAnyDelivery() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint(SEQ1, 0));
    }

    @Test
    void refusesBackwards() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.of(SEQ2, 3));
        c.delivered(ExtendedSequenceNumber.of(SEQ3, 0));
        InvalidCheckpointException e = assertThrows(InvalidCheckpointException.class,
                () -> c.checkpoint(record(SEQ2, 2)));
        assertTrue(e.getMessage().contains("backwards"), e.getMessage());
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint(SEQ1, 9));
        c.checkpoint(SEQ2, 3); // same position: allowed, nothing to write
        verify(dynamo, never()).updateItem(any(UpdateItemRequest.class));
        c.checkpoint(SEQ2, 4);
        verify(dynamo, times(1)).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void refusesMalformedAndSentinels() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        c.delivered(ExtendedSequenceNumber.of(SEQ3, 0));
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint("12ab", 0));
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint(SEQ1, -1));
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint("SHARD_END", 0));
        assertThrows(InvalidCheckpointException.class, () -> c.checkpoint(null, 0));
    }

    @Test
    void refusesAfterLeaseLost() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        c.delivered(ExtendedSequenceNumber.of(SEQ2, 0));
        c.markLeaseLost();
        assertThrows(LeaseLostException.class, c::checkpoint);
        assertThrows(LeaseLostException.class, () -> c.checkpoint(SEQ1, 0));
        verify(dynamo, never()).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void conditionFailureMeansLeaseLostAndSticks() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.failedFuture(
                ConditionalCheckFailedException.builder().message("owner changed").build()));
        c.delivered(ExtendedSequenceNumber.of(SEQ2, 0));
        assertThrows(LeaseLostException.class, () -> c.checkpoint(SEQ1, 0));
        assertTrue(c.isLeaseLost());
        assertThrows(LeaseLostException.class, c::checkpoint);
        verify(dynamo, times(1)).updateItem(any(UpdateItemRequest.class));
    }

    @Test
    void shardEndedCheckpointWritesShardEndAndChildren() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.of(SEQ1, 0));
        c.delivered(ExtendedSequenceNumber.of(SEQ2, 0));
        c.markShardEnded(Set.of("shardId-000000000005"));
        c.checkpoint();
        assertEquals(ExtendedSequenceNumber.SHARD_END, c.lastCheckpoint());
        ArgumentCaptor<UpdateItemRequest> captor = ArgumentCaptor.forClass(UpdateItemRequest.class);
        verify(dynamo).updateItem(captor.capture());
        assertEquals("SHARD_END", captor.getValue().expressionAttributeValues().get(":cp").s());
        assertEquals(java.util.List.of("shardId-000000000005"),
                captor.getValue().expressionAttributeValues().get(":ch").ss());
    }

    @Test
    void positionsOrderSentinelsAroundRealPositions() {
        ExtendedSequenceNumber real = ExtendedSequenceNumber.of(SEQ1, 0);
        assertTrue(Positions.compare(ExtendedSequenceNumber.TRIM_HORIZON, real) < 0);
        assertTrue(Positions.compare(ExtendedSequenceNumber.SHARD_END, real) > 0);
        assertTrue(Positions.compare(ExtendedSequenceNumber.of(SEQ1, 1), ExtendedSequenceNumber.of(SEQ2, 0)) < 0);
        assertTrue(Positions.compare(ExtendedSequenceNumber.of("10", 0), ExtendedSequenceNumber.of("9", 5)) > 0);
    }

    @Test
    void aRefusedCheckpointFailsAtOnceNamingTheCallAndWhatToChange() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(CompletableFuture.failedFuture(
                software.amazon.awssdk.services.dynamodb.model.DynamoDbException.builder().statusCode(400)
                        .message("not authorized").awsErrorDetails(software.amazon.awssdk.awscore.exception
                                .AwsErrorDetails.builder().errorCode("AccessDeniedException").build()).build()));
        c.delivered(ExtendedSequenceNumber.of(SEQ1, 0));
        io.purekinesis.consumer.CheckpointFailedException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.purekinesis.consumer.CheckpointFailedException.class, c::checkpoint);
        verify(dynamo, org.mockito.Mockito.times(1)).updateItem(any(UpdateItemRequest.class));
        assertTrue(e.getMessage().contains("dynamodb:UpdateItem on lease table app")
                && e.getMessage().contains("credentialsProvider"), e.getMessage());
    }

    @Test
    void aThrottledWriteIsTriedAgainAfterAJitteredBackoffAndOnlyBetweenAttempts() {
        ShardCheckpointer c = checkpointer(ExtendedSequenceNumber.TRIM_HORIZON);
        CompletableFuture<UpdateItemResponse> throttled = CompletableFuture.failedFuture(
                software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException.builder()
                        .statusCode(400).message("slow down").build());
        when(dynamo.updateItem(any(UpdateItemRequest.class))).thenReturn(throttled);
        c.delivered(ExtendedSequenceNumber.of(SEQ1, 0));
        io.purekinesis.consumer.CheckpointFailedException e = assertThrows(
                io.purekinesis.consumer.CheckpointFailedException.class, c::checkpoint);
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        verify(dynamo, times(ShardCheckpointer.MAX_WRITE_ATTEMPTS)).updateItem(any(UpdateItemRequest.class));
        // two waits, at most 100 ms and 200 ms; none after the last attempt
        assertTrue(time.elapsed().compareTo(java.time.Duration.ofMillis(300)) <= 0, time.elapsed().toString());
        assertEquals(ExtendedSequenceNumber.TRIM_HORIZON, c.lastCheckpoint(), "nothing written");
    }
}
