package io.purekinesis.consumer.internal.fanout;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.fetch.RecordSource;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.internal.retry.Backoff;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * A {@link ShardSubscription} per lease, with the consumer's settings, on the registered stream consumer; and one
 * periodic task (not one per shard: thousands of shards) that replaces subscriptions gone silent
 * ({@link ShardSubscription#SILENCE_LIMIT}).
 */
public final class FanOutSources implements RecordSource.Factory {

    private final ConsumerContext context;
    private final KinesisAsyncClient kinesis;
    /** Stream name -> its stream consumer's ARN (throws while it is not registered yet). */
    private final java.util.function.Function<String, String> consumerArns;
    private final java.util.function.Consumer<String> streamCheck;
    private final Set<ShardSubscription> live = ConcurrentHashMap.newKeySet();
    private boolean watching; // guarded by this

    /** One stream, one registered consumer. */
    public FanOutSources(ConsumerContext context, KinesisAsyncClient kinesis,
            StreamConsumerRegistration registration) {
        this(context, kinesis, stream -> registration.consumerArn());
    }

    /** Multi-stream mode: each stream's consumer; {@code streamCheck} told of a stream whose shard is not found. */
    public FanOutSources(ConsumerContext context, KinesisAsyncClient kinesis, StreamConsumers consumers,
            java.util.function.Consumer<String> streamCheck) {
        this(context, kinesis, consumers::consumerArn, streamCheck);
    }

    private FanOutSources(ConsumerContext context, KinesisAsyncClient kinesis,
            java.util.function.Function<String, String> consumerArns) {
        this(context, kinesis, consumerArns, null);
    }

    private FanOutSources(ConsumerContext context, KinesisAsyncClient kinesis,
            java.util.function.Function<String, String> consumerArns, java.util.function.Consumer<String> streamCheck) {
        this.context = context;
        this.kinesis = kinesis;
        this.consumerArns = consumerArns;
        this.streamCheck = streamCheck;
    }

    /** @throws IllegalStateException before the registration (of the stream's consumer) completed */
    @Override
    public RecordSource create(String streamName, String shardId, HashKeyRange range,
            ExtendedSequenceNumber checkpoint) {
        ConsumerConfig c = context.config();
        ShardSubscription s = ShardSubscription.builder().kinesis(kinesis)
                .consumer(consumerArns.apply(streamName), streamName)
                .shard(shardId, range).checkpoint(checkpoint, c.initialPosition())
                .bounds(c.maxPrefetchBatches(), ShardFetcher.MAX_PREFETCH_BYTES)
                .scheduler(context.fetchScheduler(), context.time()).metrics(context.metrics())
                .backoff(Backoff.of(ShardSubscription.MIN_TIME_BETWEEN_SUBSCRIBES, ShardSubscription.MAX_BACKOFF,
                        context.random()))
                .streamCheck(streamCheck)
                .build();
        live.add(s);
        watch();
        return s;
    }

    private synchronized void watch() {
        if (watching) {
            return;
        }
        long period = ShardSubscription.SILENCE_LIMIT.toNanos() / 3;
        try {
            context.fetchScheduler().scheduleWithFixedDelay(this::checkSilence, period, period, TimeUnit.NANOSECONDS);
            watching = true;
        } catch (RejectedExecutionException e) {
            // the consumer is shutting down: nothing left to watch
        }
    }

    private void checkSilence() {
        for (ShardSubscription s : live) {
            if (s.isStopped()) {
                live.remove(s);
            } else {
                s.checkSilence();
            }
        }
    }
}
