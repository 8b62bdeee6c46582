package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.PutBatch;
import io.purekinesis.producer.internal.batching.RoutingFeedback;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.shardmap.LoadLimiter;
import io.purekinesis.producer.internal.shardmap.ShardMap;
import io.purekinesis.producer.internal.shardmap.ShardMapLoader;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's stages, composed: the {@link RecordRouter} (shard prediction, one aggregator per predicted shard,
 * records waiting for a map), the {@link ShardMapKeeper} (loads, refreshes, failures, ARN verification), the
 * {@link WrongShardRerouter} (answers that landed elsewhere than predicted) and the {@link StreamCollector}
 * (PutRecords calls per shard). User threads call {@link #append}; the sender asks {@link #readyCalls} once per pass
 * for the calls it may send; answers come back through the {@link RoutingFeedback} every {@link PutBatch} carries.
 *
 * <p><b>Identity.</b> A pipeline is one stream, keyed by its name. Records added by an ARN wait until the keeper
 * learned the stream's real ARN once (DescribeStreamSummary by name); an ARN that is not the stream's (another
 * account) fails those records and is refused at later adds ({@link AppendOutcome#WRONG_ARN}).
 *
 * <p><b>Release.</b> The {@link Host} releases an idle or failed pipeline ({@link #tryRelease}): from then on
 * {@link #append} refuses ({@link AppendOutcome#REFUSED}) and the adder resolves the stream again. Appends are
 * counted while they run, so a release never strands a record that got in just before.
 */
public final class StreamPipeline implements RoutingFeedback {

    private static final Logger LOG = LoggerFactory.getLogger(StreamPipeline.class);

    /**
     * What every pipeline of a producer shares.
     *
     * @param waker wakes the sender thread
     * @param wakeOnNewDeadline whether a new send deadline (a new aggregate, a first queued entry) must wake the
     *     sender: only when its own cadence would miss it (short buffered times)
     */
    public record Shared(ProducerConfig config, ShardMapLoader loader, Completer completer, ProducerMetrics metrics,
            Runnable waker, boolean wakeOnNewDeadline) {
    }

    /** What a pipeline needs from the producer's set of pipelines. */
    interface Host {
        /** The producer's shard-map load slots. */
        LoadLimiter<ShardMapKeeper> loads();

        /** The stream does not exist or refuses the producer: remember it, stop routing new records here. */
        void streamFailed(StreamPipeline pipeline, FailureReason reason, String errorCode, String message,
                Throwable cause);

        /** A shard map loaded ({@code first}: for the first time): forget earlier failures of the stream. */
        void streamLoaded(StreamPipeline pipeline, boolean first);
    }

    private final String stream;
    private final Shared shared;
    private final StreamCollector collector;
    private final RecordRouter router;
    private final ShardMapKeeper keeper;
    private final WrongShardRerouter rerouter;
    /** Appends running now; a release waits for them (see {@link #tryRelease}). */
    private final AtomicInteger adders = new AtomicInteger();
    /** Released or failed: appends are refused. */
    private volatile boolean refusing;
    // sender thread only:
    private boolean flushPending;
    private long lastActiveMillis;
    private long lastQueuedTotal = -1;
    private long nextIdleCheckMillis;

    /** @param stream the stream's name */
    StreamPipeline(String stream, Shared shared, Host host) {
        ProducerConfig config = shared.config();
        this.stream = stream;
        this.shared = shared;
        this.lastActiveMillis = config.clock().millis();
        EntrySettings entrySettings = new EntrySettings(stream, config.recordMaxBufferedTime().toMillis(),
                config.recordTtl().toMillis());
        this.collector = new StreamCollector(stream, config.collectionMaxCount(), config.collectionMaxSize(),
                config.rateLimit(), config.strictOrdering(), shared.wakeOnNewDeadline(), this);
        this.router = new RecordRouter(stream, config, entrySettings, shared.wakeOnNewDeadline(), collector);
        this.keeper = new ShardMapKeeper(stream, config, shared.loader(), shared.completer(), router, this, host,
                shared.waker());
        this.rerouter = new WrongShardRerouter(stream, entrySettings, collector, shared.completer(),
                keeper::requestRefresh);
    }

    public String stream() {
        return stream;
    }

    /**
     * User thread: predicts the record's shard and hands it to that shard's aggregator (or straight to the
     * collector when aggregation is off), or keeps it waiting for the shard map. Never blocks but for the routing
     * lock during a reshard.
     *
     * @param arn the ARN the record was added by, or null when added by name
     */
    public AppendOutcome append(UserRecord record, String arn) {
        adders.incrementAndGet();
        try {
            return refusing ? AppendOutcome.REFUSED : router.append(record, arn);
        } finally {
            adders.decrementAndGet();
        }
    }

    /** The message of a record refused for {@link AppendOutcome#WRONG_ARN}. */
    public String wrongArnMessage(String arn) {
        return router.wrongArnMessage(arn);
    }

    /**
     * Sender thread, once per pass: keeps the shard map (applies finished loads, starts due ones, fails records
     * that waited too long), re-routes what answers found on the wrong shard, applies a flush once nothing waits
     * for a map, seals aggregates whose buffered time passed, and drains the calls that are due, at most
     * {@code maxCalls}. Entries past their TTL fail here and throttled shards are counted; the caller only sends
     * the batches.
     *
     * @param flush a flush was asked for since the last pass
     * @return the calls to send, and (in {@code nextWakeMillis}) when this stream next needs a pass
     */
    public StreamCollector.Drained readyCalls(long now, int maxCalls, boolean flush) {
        keeper.maintain(now);
        rerouter.reroute(now, router.shardMap());
        long next = keeper.nextLookMillis();
        if (flush) {
            flushPending = true;
        }
        boolean force = flushPending && router.shardMap() != null && !router.hasWaiting();
        if (force) {
            flushPending = false;
        }
        next = Math.min(next, router.sealDue(now, force));
        if (force) {
            collector.flush();
        }
        StreamCollector.Drained drained = collector.drain(now, maxCalls);
        drained.nextWakeMillis = Math.min(drained.nextWakeMillis, next);
        try {
            for (KinesisEntry e : drained.expired) {
                Attempt last = e.attempts().isEmpty() ? null : e.attempts().get(e.attempts().size() - 1);
                shared.completer().fail(e.stream(), e.records(), e.attempts(), FailureReason.TTL_EXPIRED,
                        last == null ? null : last.errorCode(),
                        last == null ? "record TTL passed before it could be sent" : last.errorMessage(), null);
            }
            for (String shardId : drained.throttledShards) {
                shared.metrics().throttled(stream, shardId);
            }
        } catch (RuntimeException | Error e) {
            // Never expected (completions are guarded per record): the drained calls must still be sent, or their
            // shards would stay busy forever.
            LOG.error("Failing expired entries of stream {} failed", stream, e);
        }
        return drained;
    }

    @Override
    public void shardMapStale(String ignored) {
        keeper.requestRefresh();
    }

    @Override
    public void aggregateOnWrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
        rerouter.aggregateOnWrongShard(entry, actualShardId, sequenceNumber);
    }

    /** Result handler (SDK thread): a whole call said the stream is gone or refuses us. */
    @Override
    public void streamFailed(String ignored, FailureReason reason, String errorCode, String message,
            Throwable cause) {
        keeper.streamFailed(reason, errorCode, message, cause);
    }

    /**
     * Sender thread: true when nothing was queued, buffered, waiting or in flight here for {@code idleMillis}
     * (looked at about once a second, cheaply: a count of queued entries, then the stages' emptiness).
     */
    boolean idleFor(long now, long idleMillis) {
        if (now < nextIdleCheckMillis) {
            return false;
        }
        nextIdleCheckMillis = now + Math.min(1000, Math.max(1, idleMillis / 2));
        long queued = collector.queuedTotal();
        if (queued != lastQueuedTotal || !isEmpty()) {
            lastQueuedTotal = queued;
            lastActiveMillis = now;
            return false;
        }
        return now - lastActiveMillis >= idleMillis;
    }

    /** Nothing waiting, buffered, queued or in flight (and no load running). */
    boolean isEmpty() {
        return !keeper.isLoading() && router.isEmpty() && !rerouter.hasWaiting() && collector.isIdle();
    }

    /** Aggregates wait for a newer shard map to be resolved. */
    boolean hasWrongShards() {
        return rerouter.hasWaiting();
    }

    ShardMapKeeper keeper() {
        return keeper;
    }

    /** Whether a shard map was ever loaded (sender thread). */
    boolean loadedOnce() {
        return keeper.loadedOnce();
    }

    /** From now on appends are refused ({@link AppendOutcome#REFUSED}); the adder resolves the stream again. */
    void refuse() {
        refusing = true;
    }

    boolean isRefusing() {
        return refusing;
    }

    /**
     * Sender thread: releases the pipeline if it is empty once the appends running now ended: refuses appends,
     * waits for those under way (they never block), then looks again. If something got in meanwhile the release
     * is called off (unless the pipeline had failed: then it stays refusing and drains).
     *
     * @return true when released: nothing is left in it and nothing can enter it
     */
    boolean tryRelease() {
        boolean failed = refusing;
        refusing = true;
        while (adders.get() != 0) {
            Thread.onSpinWait();
        }
        if (isEmpty()) {
            return true;
        }
        refusing = failed;
        return false;
    }

    /**
     * Close: removes every record not yet in a PutRecords call and hands each group to {@code sink} with the
     * attempts made for it so far.
     */
    public void abort(BiConsumer<List<UserRecord>, List<Attempt>> sink) {
        List<UserRecord> loose = router.drainForClose();
        if (!loose.isEmpty()) {
            sink.accept(loose, List.of());
        }
        rerouter.drainForClose(sink);
        for (KinesisEntry e : collector.abort()) {
            sink.accept(e.records(), e.attempts());
        }
    }

    /** The published shard map, or null before the first load (tests, diagnostics). */
    public ShardMap shardMap() {
        return router.shardMap();
    }

    /** The shards that have an aggregator now (tests, diagnostics). */
    public Set<String> aggregatorShardIds() {
        return router.aggregatorShardIds();
    }

    /** The stream's collector (tests, diagnostics). */
    public StreamCollector collector() {
        return collector;
    }
}
