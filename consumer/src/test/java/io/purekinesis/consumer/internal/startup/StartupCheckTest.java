package io.purekinesis.consumer.internal.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.LeaseTableSetup;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;

/** The start-up check's retries, in virtual time: a minute of retrying takes no real time. */
class StartupCheckTest {

    private final KinesisAsyncClient kinesis = mock(KinesisAsyncClient.class);
    private final DynamoDbAsyncClient dynamo = mock(DynamoDbAsyncClient.class);
    private final ManualScheduler time = new ManualScheduler();

    private StartupCheck check() {
        ConsumerConfig config = ConsumerConfig.builder().applicationName("app").streamName("s").workerId("w")
                .kinesisClient(kinesis).dynamoDbClient(dynamo).build();
        ConsumerContext context = new ConsumerContext(config, time, new Random(7), time, time, time);
        LeaseTable table = new LeaseTable(dynamo, "app");
        return new StartupCheck(context, kinesis, new LeaseTableSetup(dynamo, "app", "app-workers", time), table,
                new ShardSyncer(kinesis, "s", table, config.initialPosition(), Duration.ZERO, time), scan -> 0);
    }

    @Test
    void aTransientFailureIsRetriedUntilTheDeadlineAndNoLonger() {
        AtomicInteger attempts = new AtomicInteger();
        when(kinesis.describeStreamSummary(any(DescribeStreamSummaryRequest.class))).thenAnswer(inv -> {
            attempts.incrementAndGet();
            return CompletableFuture.failedFuture(LimitExceededException.builder().message("rate exceeded").build());
        });
        KinesisConsumerException e = assertThrows(KinesisConsumerException.class, check()::run);
        // the last wait is cut to the deadline: the last attempt runs exactly when the retry time is over
        assertEquals(StartupCheck.RETRY_TIME, time.elapsed());
        assertTrue(e.getMessage().contains("still failing after " + attempts.get() + " attempts in 60 s")
                && e.getMessage().contains("kinesis:DescribeStreamSummary on stream s"), e.getMessage());
        // backoff from 200 ms, doubling to at most 5 s, with full jitter: at least a dozen attempts in a minute
        assertTrue(attempts.get() >= 12, attempts.get() + " attempts");
        // the lease table's description may be read meanwhile (a fresh JVM's DynamoDB client warms up), but no
        // table is created for a stream that cannot be read
        verify(dynamo, never()).createTable(any(CreateTableRequest.class));
    }
}
