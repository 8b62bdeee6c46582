package io.purekinesis.consumer.internal.fanout;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.fetch.RecordSource;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.internal.retry.Backoff;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/** A {@link ShardSubscription} per lease, with the consumer's settings, on the registered stream consumer. */
public final class FanOutSources implements RecordSource.Factory {

    private final ConsumerContext context;
    private final KinesisAsyncClient kinesis;
    private final StreamConsumerRegistration registration;

    public FanOutSources(ConsumerContext context, KinesisAsyncClient kinesis,
            StreamConsumerRegistration registration) {
        this.context = context;
        this.kinesis = kinesis;
        this.registration = registration;
    }

    /** @throws IllegalStateException before the registration completed */
    @Override
    public RecordSource create(String shardId, HashKeyRange range, ExtendedSequenceNumber checkpoint) {
        ConsumerConfig c = context.config();
        return ShardSubscription.builder().kinesis(kinesis).consumer(registration.consumerArn(), c.streamName())
                .shard(shardId, range).checkpoint(checkpoint, c.initialPosition())
                .bounds(c.maxPrefetchBatches(), ShardFetcher.MAX_PREFETCH_BYTES)
                .scheduler(context.fetchScheduler(), context.time()).metrics(context.metrics())
                .backoff(Backoff.of(ShardSubscription.MIN_TIME_BETWEEN_SUBSCRIBES, ShardSubscription.MAX_BACKOFF,
                        context.random()))
                .build();
    }
}
