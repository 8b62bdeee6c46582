package io.purekinesis.consumer.internal.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.internal.ManualScheduler;
import io.purekinesis.consumer.internal.fetch.RecordBatch;
import io.purekinesis.internal.retry.Backoff;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.InternalFailureException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;

/**
 * A subscription on a {@link ManualScheduler} against {@link FakeSubscriptions}: the test opens, feeds, completes and
 * fails each SubscribeToShard call, and runs the scheduler; every wait (the 1/s subscribe limit, backoff) is virtual.
 */
class ShardSubscriptionTest {

    private static final String SHARD = "shardId-000000000000";
    private static final int MAX_BATCHES = 3;

    private final ManualScheduler scheduler = new ManualScheduler();
    private final FakeSubscriptions kinesis = new FakeSubscriptions(scheduler::nanoTime);
    private final List<String> nonTransient = new CopyOnWriteArrayList<>();
    private final ConsumerMetrics metrics = new ConsumerMetrics() {
        @Override
        public void nonTransientFailure(String operation, String resource, Throwable cause) {
            nonTransient.add(operation + ": " + cause);
        }
    };

    private ShardSubscription subscription(ExtendedSequenceNumber checkpoint) {
        return ShardSubscription.builder().kinesis(kinesis)
                .consumer("arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/app:1", "s")
                .shard(SHARD, null).checkpoint(checkpoint, InitialPosition.trimHorizon())
                .bounds(MAX_BATCHES, Long.MAX_VALUE).scheduler(scheduler, scheduler).metrics(metrics)
                .backoff(Backoff.of(Duration.ofSeconds(1), Duration.ofSeconds(10), new Random(1))).build();
    }

    private static Record record(long seq) {
        return Record.builder().sequenceNumber(Long.toString(seq)).partitionKey("k")
                .approximateArrivalTimestamp(Instant.EPOCH).data(SdkBytes.fromUtf8String("d" + seq)).build();
    }

    private static SubscribeToShardEvent event(String continuation, long... seqs) {
        List<Record> records = new ArrayList<>();
        for (long s : seqs) {
            records.add(record(s));
        }
        return SubscribeToShardEvent.builder().records(records).continuationSequenceNumber(continuation)
                .millisBehindLatest(0L).build();
    }

    private static List<String> data(RecordBatch b) {
        return b.records().stream().map(r -> new String(r.dataBytes(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void resubscribesAfterTheContinuationOfTheLastEventHandled() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream first = kinesis.last().open();
        assertEquals(ShardIteratorType.TRIM_HORIZON, first.request.startingPosition().type());
        scheduler.runUntilIdle();
        first.push(event("2", 1, 2));
        scheduler.runUntilIdle();
        first.push(event("7")); // no records: its continuation still counts
        scheduler.runUntilIdle();
        first.complete(); // Kinesis ends every subscription after 5 minutes
        scheduler.runUntilIdle();

        FakeSubscriptions.Stream second = kinesis.last();
        assertEquals(2, kinesis.streams.size());
        assertEquals(ShardIteratorType.AFTER_SEQUENCE_NUMBER, second.request.startingPosition().type());
        assertEquals("7", second.request.startingPosition().sequenceNumber());
        assertEquals(List.of("d1", "d2"), data(s.poll(Duration.ZERO)));

        // an event that comes after its subscription failed is dropped, and the next one starts before it
        second.open();
        scheduler.runUntilIdle();
        second.push(event("9", 8, 9));
        scheduler.runUntilIdle();
        second.fail(InternalFailureException.builder().message("boom").build());
        second.pushLate(event("12", 10, 11, 12));
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream third = kinesis.last();
        assertEquals(3, kinesis.streams.size());
        assertEquals("9", third.request.startingPosition().sequenceNumber());
        assertEquals(List.of("d8", "d9"), data(s.poll(Duration.ZERO)));
        assertNull(s.poll(Duration.ZERO), "the late event was not queued");
    }

    @Test
    void aSubscriptionSilentWhileAnEventIsRequestedIsReplacedFromWhereItWas() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream first = kinesis.last().open();
        scheduler.runUntilIdle();
        first.push(event("3", 1, 2, 3));
        scheduler.runUntilIdle();
        assertEquals(1, first.outstanding(), "the next event is requested");

        // Kinesis would send an event within seconds; this connection stays silent (half-open).
        scheduler.advance(ShardSubscription.SILENCE_LIMIT.minusSeconds(1));
        s.checkSilence();
        scheduler.runUntilIdle();
        assertFalse(first.cancelled, "not silent for long enough yet");
        scheduler.advance(Duration.ofSeconds(1));
        s.checkSilence();
        scheduler.runUntilIdle();
        assertTrue(first.cancelled, "the silent subscription is cancelled");
        assertEquals(2, kinesis.streams.size(), "and replaced");
        FakeSubscriptions.Stream second = kinesis.last();
        assertEquals(ShardIteratorType.AFTER_SEQUENCE_NUMBER, second.request.startingPosition().type());
        assertEquals("3", second.request.startingPosition().sequenceNumber());
        assertTrue(nonTransient.isEmpty() || nonTransient.stream().allMatch(m -> m.contains("presumed hung")));

        // A SubscribeToShard call that is never accepted is replaced too.
        scheduler.advance(ShardSubscription.SILENCE_LIMIT);
        s.checkSilence();
        scheduler.runUntilIdle();
        assertEquals(3, kinesis.streams.size());
        assertEquals("3", kinesis.last().request.startingPosition().sequenceNumber());
        assertEquals(List.of("d1", "d2", "d3"), data(s.poll(Duration.ZERO)));
    }

    @Test
    void aSubscriptionWaitingForTheProcessorIsNotSilent() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream stream = kinesis.last().open();
        scheduler.runUntilIdle();
        for (int i = 0; i < MAX_BATCHES; i++) {
            stream.push(event(Integer.toString(i + 1), i + 1));
            scheduler.runUntilIdle();
        }
        assertEquals(0, stream.outstanding(), "the queue is full: nothing requested");

        scheduler.advance(ShardSubscription.SILENCE_LIMIT.multipliedBy(3));
        s.checkSilence();
        scheduler.runUntilIdle();
        assertFalse(stream.cancelled, "no event was asked for: the silence is ours, not a hung connection");
        assertEquals(1, kinesis.streams.size());
        s.stop();
    }

    @Test
    void aCheckpointInsideAnAggregateResumesAtTheNextUserRecord() throws Exception {
        AggregateEncoder encoder = new AggregateEncoder();
        for (int i = 0; i < 6; i++) {
            encoder.add("pk-" + i, null, ("agg-" + i).getBytes(StandardCharsets.UTF_8));
        }
        Record aggregate = Record.builder().sequenceNumber("100").partitionKey("a")
                .approximateArrivalTimestamp(Instant.EPOCH).data(SdkBytes.fromByteArray(encoder.toByteArray()))
                .build();
        ShardSubscription s = subscription(ExtendedSequenceNumber.of("100", 3));
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream stream = kinesis.last().open();
        assertEquals(ShardIteratorType.AT_SEQUENCE_NUMBER, stream.request.startingPosition().type());
        assertEquals("100", stream.request.startingPosition().sequenceNumber());
        scheduler.runUntilIdle();
        stream.push(SubscribeToShardEvent.builder().records(aggregate, record(101)).continuationSequenceNumber("101")
                .millisBehindLatest(0L).build());
        scheduler.runUntilIdle();
        RecordBatch b = s.poll(Duration.ZERO);
        assertEquals(List.of("agg-4", "agg-5", "d101"), data(b));
        KinesisUserRecord first = b.records().get(0);
        assertEquals(4, first.subSequenceNumber());
    }

    @Test
    void subscribesAtMostOncePerSecond() {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        for (int i = 0; i < 5; i++) {
            FakeSubscriptions.Stream stream = kinesis.last().open();
            scheduler.runUntilIdle();
            stream.complete(); // ends at once, again and again
            scheduler.runUntilIdle();
        }
        assertEquals(6, kinesis.streams.size());
        for (int i = 1; i < kinesis.streams.size(); i++) {
            long gap = kinesis.streams.get(i).calledAtNanos - kinesis.streams.get(i - 1).calledAtNanos;
            assertTrue(gap >= Duration.ofSeconds(1).toNanos(), "subscribes " + gap + " ns apart");
        }
    }

    @Test
    void resourceInUseAndLimitExceededBackOffQuietlyAndRetry() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        // the previous owner's subscription is still open (a takeover), then too many subscribes
        kinesis.last().fail(ResourceInUseException.builder().message("Another active subscription exists").build());
        scheduler.runUntilIdle();
        kinesis.last().fail(ResourceInUseException.builder().message("Another active subscription exists").build());
        scheduler.runUntilIdle();
        kinesis.last().fail(LimitExceededException.builder().message("Rate exceeded").build());
        scheduler.runUntilIdle();
        assertEquals(4, kinesis.streams.size());
        for (int i = 1; i < kinesis.streams.size(); i++) {
            long gap = kinesis.streams.get(i).calledAtNanos - kinesis.streams.get(i - 1).calledAtNanos;
            assertTrue(gap >= Duration.ofSeconds(1).toNanos(), "retried after " + gap + " ns");
        }
        FakeSubscriptions.Stream ok = kinesis.last().open();
        scheduler.runUntilIdle();
        ok.push(event("1", 1));
        scheduler.runUntilIdle();
        assertEquals(List.of("d1"), data(s.poll(Duration.ZERO)));
        assertEquals(List.of(), nonTransient, "nothing reported as needing a person");
        assertEquals(ShardIteratorType.TRIM_HORIZON, ok.request.startingPosition().type());
    }

    @Test
    void stopCancelsTheSubscriptionAndNothingResubscribes() {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream stream = kinesis.last().open();
        scheduler.runUntilIdle();
        s.stop(); // the lease was lost
        assertTrue(stream.cancelled);
        stream.complete();
        scheduler.advance(Duration.ofMinutes(1));
        assertEquals(1, kinesis.streams.size());
    }

    @Test
    void requestsOneEventAtATimeAndOnlyWhileTheQueueHasRoom() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream stream = kinesis.last().open();
        scheduler.runUntilIdle();
        long seq = 0;
        // Kinesis has far more to send; the processor takes nothing
        for (int i = 0; i < 100 && stream.outstanding() > 0; i++) {
            seq++;
            stream.push(event(Long.toString(seq), seq));
            scheduler.runUntilIdle();
            assertTrue(s.queued() + s.outstandingDemand() <= MAX_BATCHES, "queued " + s.queued() + " + demand "
                    + s.outstandingDemand());
        }
        assertEquals(MAX_BATCHES, s.queued());
        assertEquals(0, s.outstandingDemand());
        assertEquals(0, stream.outstanding(), "no demand while the queue is full");
        assertEquals(MAX_BATCHES, stream.pushed);
        assertEquals(1, stream.maxOutstanding);

        assertEquals(List.of("d1"), data(s.poll(Duration.ZERO))); // the processor takes one: room for one more
        assertEquals(1, stream.outstanding());
        stream.push(event("4", 4));
        scheduler.runUntilIdle();
        assertEquals(MAX_BATCHES, s.queued());
        assertEquals(0, stream.outstanding());
    }

    @Test
    void theEventWithoutContinuationEndsTheShardWithItsChildren() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        FakeSubscriptions.Stream stream = kinesis.last().open();
        scheduler.runUntilIdle();
        ChildShard child = ChildShard.builder().shardId("shardId-000000000001").parentShards(SHARD).build();
        stream.push(SubscribeToShardEvent.builder().records(record(5)).continuationSequenceNumber(null)
                .childShards(child).millisBehindLatest(0L).build());
        scheduler.runUntilIdle();
        RecordBatch last = s.poll(Duration.ZERO);
        assertTrue(last.shardEnd());
        assertEquals(List.of("d5"), data(last));
        assertEquals(List.of(child), last.childShards());
        assertTrue(stream.cancelled);
        stream.complete();
        scheduler.advance(Duration.ofMinutes(1));
        assertEquals(1, kinesis.streams.size(), "no subscription after the shard's end");
        assertFalse(stream.outstanding() > 0);
    }

    @Test
    void aShardKinesisNoLongerKnowsWhileTheConsumerIsActiveEndsWithoutChildren() throws Exception {
        ShardSubscription s = subscription(ExtendedSequenceNumber.TRIM_HORIZON);
        s.start();
        scheduler.runUntilIdle();
        // the stream consumer is gone first: reported, and retried
        kinesis.consumerStatus = null;
        for (int i = 0; i < 3; i++) {
            kinesis.last().fail(ResourceNotFoundException.builder().message("Shard not found").build());
            scheduler.runUntilIdle();
        }
        assertEquals(4, kinesis.streams.size(), "retried while the consumer itself is missing");
        assertEquals(1, nonTransient.size(), nonTransient.toString());
        assertNull(s.poll(Duration.ZERO));

        // then only the shard is: it expired past the retention period
        kinesis.consumerStatus = ConsumerStatus.ACTIVE;
        kinesis.last().fail(ResourceNotFoundException.builder().message("Shard not found").build());
        scheduler.runUntilIdle();
        RecordBatch end = s.poll(Duration.ZERO);
        assertTrue(end.shardEnd());
        assertEquals(List.of(), end.records());
        assertEquals(List.of(), end.childShards());
        scheduler.advance(Duration.ofMinutes(1));
        assertEquals(4, kinesis.streams.size(), "no subscription after the shard's end");
    }
}
