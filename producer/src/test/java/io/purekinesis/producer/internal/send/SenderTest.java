package io.purekinesis.producer.internal.send;

import static io.purekinesis.producer.internal.Outcomes.failure;
import static io.purekinesis.producer.internal.Outcomes.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.retry.Backoff;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.Outcomes;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import io.purekinesis.producer.internal.pipeline.StreamPipeline;
import io.purekinesis.producer.internal.pipeline.StreamRegistry;
import io.purekinesis.producer.internal.retry.ResultHandler;
import io.purekinesis.producer.internal.shardmap.ShardMapLoader;
import io.purekinesis.testkit.FakeKinesisClient;
import io.purekinesis.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * The sender loop, one pass at a time ({@link Sender#runOnce}) on a manual clock, without its thread: it sends
 * what the pipelines say is ready, within {@code maxConcurrentRequests}, hands answers to the result handler (which
 * the fake client's completed futures run on this thread), and fails everything on abort.
 */
@Timeout(30)
class SenderTest {

    private static final long BUFFERED_MILLIS = 20;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final MemoryBudget budget = new MemoryBudget(1 << 30, 100_000);
    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    private final Completer completer = new Completer(Runnable::run, budget, deadLetters::add,
            ProducerMetrics.NOOP, "test-overflow");
    private final FakeKinesisClient fake = FakeKinesisClient.withShards(2);
    private StreamRegistry streams;
    private Sender sender;

    private void start(ProducerConfig.Builder builder) {
        ProducerConfig config = builder.kinesisClient(fake).clock(clock)
                .recordMaxBufferedTime(Duration.ofMillis(BUFFERED_MILLIS)).build();
        Sender[] ref = new Sender[1];
        streams = new StreamRegistry(new StreamPipeline.Shared(config, new ShardMapLoader(fake), completer,
                ProducerMetrics.NOOP, () -> ref[0].wakeup(), true), "us-east-1");
        ResultHandler results = new ResultHandler(clock, Backoff.of(config.retryBaseDelay(),
                config.retryMaxDelay(), new SplittableRandom(1)), 0, completer, ProducerMetrics.NOOP);
        sender = new Sender(config, fake, results, completer, budget, ProducerMetrics.NOOP, streams);
        ref[0] = sender;
    }

    private UserRecord add(String stream, String key) {
        UserRecord r = Outcomes.record(key, budget, clock.millis() + 30_000);
        streams.append(streams.spelling(stream), r, clock.millis());
        return r;
    }

    /** Passes until the streams' first shard maps are loaded (queued, started, applied). */
    private void loadShardMaps() {
        for (int i = 0; i < 3; i++) {
            sender.runOnce();
        }
    }

    @Test
    void sendsWhatIsReadyAndSaysWhenTheNextDeadlineIs() throws Exception {
        start(ProducerConfig.builder());
        UserRecord r = add("s", "k");
        loadShardMaps();
        assertTrue(fake.putRequests().isEmpty(), "the aggregate waits for its buffered time");
        long deadline = clock.millis() + BUFFERED_MILLIS;
        assertEquals(deadline, sender.runOnce(), "the next pass is due at the send deadline");

        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        sender.runOnce();
        assertEquals(1, fake.putRequests().size());
        assertEquals("s", fake.putRequests().get(0).streamName());
        RecordResult result = result(r);
        assertEquals(1, result.attempts().size());
    }

    @Test
    void aFlushSendsBeforeTheBufferedTime() {
        start(ProducerConfig.builder());
        add("s", "k");
        loadShardMaps();
        sender.flush();
        sender.runOnce();
        assertEquals(1, fake.putRequests().size());
    }

    @Test
    void neverMoreCallsInFlightThanMaxConcurrentRequests() throws Exception {
        start(ProducerConfig.builder().maxConcurrentRequests(1));
        CompletableFuture<PutRecordsResponse> first = new CompletableFuture<>();
        List<PutRecordsRequest> held = new ArrayList<>();
        fake.then(request -> {
            held.add(request);
            return first;
        });
        UserRecord a = add("a", "k");
        UserRecord b = add("b", "k");
        loadShardMaps();
        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        sender.runOnce();
        sender.runOnce();
        assertEquals(1, fake.putRequests().size(), "one call in flight, the other stream waits");

        first.complete(fake.respond(held.get(0), i -> null));
        sender.runOnce();
        assertEquals(2, fake.putRequests().size(), "the answer freed the permit");
        assertTrue(result(a).shardId().startsWith("shardId-"));
        assertTrue(result(b).shardId().startsWith("shardId-"));
    }

    @Test
    void aFailedEntryGoesAgainOnlyAfterItsBackoff() throws Exception {
        start(ProducerConfig.builder().retryBaseDelay(Duration.ofMillis(100)).retryMaxDelay(Duration.ofMillis(100)));
        fake.thenFailEntries("ProvisionedThroughputExceededException", 0);
        UserRecord r = add("s", "k");
        loadShardMaps();
        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        sender.runOnce();
        assertEquals(1, fake.putRequests().size());
        assertFalse(r.isDone(), "throttled: waits for a retry");

        sender.runOnce();
        assertEquals(1, fake.putRequests().size(), "not before its backoff");
        clock.advance(Duration.ofMillis(100));
        sender.runOnce();
        assertEquals(2, fake.putRequests().size());
        RecordResult result = result(r);
        assertEquals(2, result.attempts().size());
        assertEquals("ProvisionedThroughputExceededException", result.attempts().get(0).errorCode());
    }

    @Test
    void abortFailsWhatIsInFlightAndWhatIsBufferedAndCancelsTheCall() throws Exception {
        start(ProducerConfig.builder());
        CompletableFuture<PutRecordsResponse> stalled = new CompletableFuture<>();
        fake.then(request -> stalled);
        UserRecord inFlight = add("s", "k1");
        loadShardMaps();
        clock.advance(Duration.ofMillis(BUFFERED_MILLIS));
        sender.runOnce();
        UserRecord buffered = add("s", "k2");

        List<FailedRecord> failed = sender.abortAll();
        assertEquals(2, failed.size());
        assertTrue(stalled.isCancelled(), "the SDK call is cancelled");
        assertTrue(sender.isAborted());
        for (UserRecord r : List.of(inFlight, buffered)) {
            Throwable e = failure(r);
            assertEquals(FailureReason.PRODUCER_CLOSED,
                    assertInstanceOf(RecordFailedException.class, e).reason());
        }
        sender.runOnce();
        assertEquals(1, fake.putRequests().size(), "nothing is sent after abort");
        assertEquals(0, budget.outstandingRecords());
    }
}
