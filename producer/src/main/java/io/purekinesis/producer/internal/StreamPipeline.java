package io.purekinesis.producer.internal;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.internal.aggregation.ShardAggregator;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.retry.Backoff;
import io.purekinesis.producer.internal.retry.RetryPolicy;
import io.purekinesis.producer.internal.send.Sender;
import io.purekinesis.producer.internal.shardmap.ShardMap;
import io.purekinesis.producer.internal.shardmap.ShardMapLoader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * One stream's stages: shard prediction (its lazily loaded, periodically refreshed {@link ShardMap}), one
 * {@link ShardAggregator} per predicted shard, and the stream's {@link StreamCollector}.
 *
 * <p>User threads call {@link #append}; everything else runs on the sender thread. Records added before the
 * stream's shard map is known wait (unrouted) until it loads, then are routed in {@code add} order; if the stream
 * does not exist they fail with {@link FailureReason#STREAM_NOT_FOUND}.
 */
public final class StreamPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(StreamPipeline.class);
    /** Least time between two reloads asked for by results that landed on an unexpected shard. */
    static final long MIN_REFRESH_GAP_MILLIS = 1000;

    private final String stream;
    private final ProducerConfig config;
    private final ShardMapLoader loader;
    private final Completer completer;
    private final Backoff loadBackoff;
    private final StreamCollector collector;
    private final ConcurrentHashMap<String, ShardAggregator> aggregators = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<UserRecord> unrouted = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<WrongShard> wrongShard = new ConcurrentLinkedQueue<>();
    private final Object routingLock = new Object();
    private final AtomicReference<Object> loadOutcome = new AtomicReference<>();
    private final long maxBufferedMillis;
    /** Kinesis counts the partition key "a" too: an aggregate's data may be at most 1 MiB - 1. */
    private final int aggregateMaxSize;
    private final Runnable waker;
    /** Whether a new send deadline must wake the sender (short buffered times only). */
    private final boolean wakeOnNewDeadline;
    private volatile ShardMap shardMap;
    private volatile boolean refreshRequested;
    // sender thread only:
    private boolean loading;
    private long version;
    private int loadFailures;
    private long nextLoadMillis;
    private long lastLoadStartMillis = Long.MIN_VALUE / 2;
    private boolean flushPending;

    private record WrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
    }

    /** @param waker wakes the sender thread */
    public StreamPipeline(String stream, ProducerConfig config, ShardMapLoader loader, Completer completer,
            Runnable waker) {
        this.stream = stream;
        this.waker = waker;
        this.config = config;
        this.loader = loader;
        this.completer = completer;
        this.loadBackoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), null);
        this.maxBufferedMillis = config.recordMaxBufferedTime().toMillis();
        this.aggregateMaxSize = Math.min(config.aggregationMaxSize(),
                ProducerConfig.MAX_RECORD_SIZE_BYTES - KinesisEntry.AGGREGATE_PARTITION_KEY.length());
        this.wakeOnNewDeadline = Sender.deadlineWakeupsNeeded(maxBufferedMillis);
        this.collector = new StreamCollector(stream, config.collectionMaxCount(), config.collectionMaxSize(),
                config.rateLimit(), config.strictOrdering(), wakeOnNewDeadline);
    }

    public String stream() {
        return stream;
    }

    public StreamCollector collector() {
        return collector;
    }

    public ShardMap shardMap() {
        return shardMap;
    }

    /** The shards that have an aggregator now (for tests and diagnostics). */
    public Set<String> aggregatorShardIds() {
        return Set.copyOf(aggregators.keySet());
    }

    /**
     * Predicts the record's shard and hands it to that shard's aggregator (or straight to the collector when
     * aggregation is off). Called on user threads.
     *
     * @return true when the sender should wake
     */
    public boolean append(UserRecord record) {
        ShardMap map = shardMap;
        if (map == null) {
            synchronized (routingLock) {
                map = shardMap;
                if (map == null) {
                    unrouted.add(record);
                    return true;
                }
            }
        }
        return route(record, map);
    }

    private boolean route(UserRecord record, ShardMap map) {
        while (true) {
            String shardId = map.shardFor(record.hashHi(), record.hashLo());
            if (!config.aggregationEnabled() || shardId == null) {
                // No prediction (a gap in the map, e.g. mid-reshard): plain, so Kinesis routes it by its own key.
                return collector.enqueue(KinesisEntry.plain(record, shardId, maxBufferedMillis));
            }
            ShardAggregator aggregator = aggregators.get(shardId);
            if (aggregator == null) {
                aggregator = aggregators.computeIfAbsent(shardId, k -> new ShardAggregator(shardId,
                        aggregateMaxSize, config.aggregationMaxCount(), maxBufferedMillis, wakeOnNewDeadline));
            }
            int outcome = aggregator.offer(record, collector);
            if (outcome != ShardAggregator.RETIRED) {
                return outcome == ShardAggregator.WAKE;
            }
            // The shard closed while this thread predicted it with an older map: the newer map is published
            // before aggregators are retired, so predict again.
            ShardMap current = shardMap;
            if (current == map) {
                return collector.enqueue(KinesisEntry.plain(record, shardId, maxBufferedMillis));
            }
            map = current;
        }
    }

    /**
     * Sender thread, after a load: drops the aggregators of shards no longer open (sealing what they hold) and the
     * collector's idle queues of those shards, so per-shard state and the cost of a sender pass follow the open
     * shards. A queue still busy goes at a later load; an aggregator an adder recreated from an older map too.
     */
    private void dropClosedShards(ShardMap map) {
        Set<String> open = new HashSet<>(map.shardIds());
        for (Iterator<Map.Entry<String, ShardAggregator>> it = aggregators.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ShardAggregator> e = it.next();
            if (!open.contains(e.getKey())) {
                it.remove();
                e.getValue().retire(collector);
            }
        }
        collector.dropIdleShards(open);
    }

    /**
     * Sender thread: starts a shard-map load when none is known, when the refresh interval passed, or when a
     * result asked for one; applies a finished load.
     *
     * @return when this stream next needs a look for its shard map
     */
    public long maintainShardMap(long now) {
        Object outcome = loadOutcome.getAndSet(null);
        if (outcome != null) {
            loading = false;
            applyLoad(outcome, now);
        }
        if (!loading) {
            boolean first = shardMap == null && (!unrouted.isEmpty() || !wrongShard.isEmpty());
            boolean due = shardMap != null && (now >= nextLoadMillis
                    || (refreshRequested && now >= lastLoadStartMillis + MIN_REFRESH_GAP_MILLIS));
            if ((first && now >= nextLoadMillis) || due) {
                startLoad(now);
            }
        }
        if (!wrongShard.isEmpty()) {
            resolveWrongShards(now);
        }
        if (loading) {
            return Long.MAX_VALUE; // completion wakes the sender
        }
        if (refreshRequested) {
            return lastLoadStartMillis + MIN_REFRESH_GAP_MILLIS;
        }
        return shardMap == null && unrouted.isEmpty() ? Long.MAX_VALUE : nextLoadMillis;
    }

    private void startLoad(long now) {
        loading = true;
        refreshRequested = false;
        lastLoadStartMillis = now;
        long v = ++version;
        CompletableFuture<ShardMap> load;
        try {
            load = loader.load(stream, v);
        } catch (RuntimeException e) {
            load = CompletableFuture.failedFuture(e);
        }
        load.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((map, error) -> {
            loadOutcome.set(error != null ? RetryPolicy.unwrap(error) : map);
            waker.run();
        });
    }

    private void applyLoad(Object outcome, long now) {
        if (outcome instanceof ShardMap map) {
            loadFailures = 0;
            nextLoadMillis = now + config.shardMapRefreshInterval().toMillis();
            ShardMap previous = shardMap;
            if (previous == null) {
                LOG.debug("Loaded shard map of stream {}: {}", stream, map);
                synchronized (routingLock) {
                    for (UserRecord r; (r = unrouted.poll()) != null; ) {
                        route(r, map);
                    }
                    shardMap = map;
                }
            } else {
                if (!previous.shardIds().equals(map.shardIds())) {
                    LOG.info("Shard map of stream {} changed: {} open shards, was {}", stream, map.size(),
                            previous.size());
                }
                shardMap = map;
                dropClosedShards(map);
            }
            return;
        }
        Throwable error = (Throwable) outcome;
        loadFailures++;
        String code = RetryPolicy.errorCode(error);
        if (error instanceof ResourceNotFoundException || !RetryPolicy.isRetryable(code, error)) {
            boolean notFound = error instanceof ResourceNotFoundException;
            LOG.warn("Cannot load the shard map of stream {} ({}): failing its buffered records", stream, code);
            List<UserRecord> failed = new ArrayList<>();
            for (UserRecord r; (r = unrouted.poll()) != null; ) {
                failed.add(r);
            }
            completer.fail(failed, List.of(), notFound ? FailureReason.STREAM_NOT_FOUND
                    : FailureReason.NON_RETRYABLE_ERROR, code, (notFound ? "stream '" + stream + "' not found: "
                    : "ListShards of stream '" + stream + "' failed: ") + RetryPolicy.errorMessage(error), error);
            nextLoadMillis = now + MIN_REFRESH_GAP_MILLIS;
            return;
        }
        long delay = loadBackoff.delayMillis(loadFailures);
        nextLoadMillis = now + Math.max(10, delay);
        LOG.warn("Loading the shard map of stream {} failed (attempt {}), retrying in {} ms: {}", stream,
                loadFailures, delay, error.toString());
        expireUnrouted(now);
    }

    private void expireUnrouted(long now) {
        List<UserRecord> expired = new ArrayList<>();
        for (Iterator<UserRecord> it = unrouted.iterator(); it.hasNext(); ) {
            UserRecord r = it.next();
            if (r.expiryMillis() <= now) {
                it.remove();
                expired.add(r);
            }
        }
        if (!expired.isEmpty()) {
            completer.fail(expired, List.of(), FailureReason.TTL_EXPIRED, null,
                    "the shard map of stream '" + stream + "' could not be loaded before the record's TTL", null);
        }
    }

    /** Result handler (SDK thread): asks for a reload soon. */
    public void requestRefresh() {
        refreshRequested = true;
    }

    /** Result handler (SDK thread): the aggregate is resolved once a newer shard map knows the actual shard. */
    public void aggregateOnWrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
        wrongShard.add(new WrongShard(entry, actualShardId, sequenceNumber));
        refreshRequested = true;
    }

    private void resolveWrongShards(long now) {
        ShardMap map = shardMap;
        for (Iterator<WrongShard> it = wrongShard.iterator(); it.hasNext(); ) {
            WrongShard w = it.next();
            HashKeyRange range = map == null ? null : map.rangeOf(w.actualShardId());
            if (range == null) {
                if (now >= w.entry().expiryMillis()) {
                    it.remove();
                    completer.fail(w.entry().records(), w.entry().attempts(), FailureReason.TTL_EXPIRED, "WrongShard",
                            "stored in shard " + w.actualShardId() + " which the shard map does not know yet", null);
                } else {
                    refreshRequested = true;
                }
                continue;
            }
            it.remove();
            KinesisEntry e = w.entry();
            List<Attempt> prior = null;
            List<UserRecord> records = e.records();
            for (int i = 0; i < records.size(); i++) {
                UserRecord r = records.get(i);
                if (range.contains(r.hashKey())) {
                    completer.succeedOne(r, e, w.actualShardId(), w.sequenceNumber(), i);
                } else {
                    if (prior == null) {
                        prior = new ArrayList<>(e.attempts());
                        Attempt last = prior.remove(prior.size() - 1);
                        prior.add(new Attempt(last.timestamp(), last.duration(), false, "WrongShard",
                                "aggregate stored in shard " + w.actualShardId()
                                        + " outside this record's hash key range; resent"));
                    }
                    r.addPriorAttempts(prior);
                    route(r, map);
                    flushPending = true; // resent records already waited their buffered time
                }
            }
            LOG.debug("Resolved an aggregate of stream {} stored in unexpected shard {} at {}", stream,
                    w.actualShardId(), Instant.ofEpochMilli(now));
        }
    }

    /** Sender thread: a flush was asked for; it applies once the records waiting for the shard map are routed. */
    public void markFlush() {
        flushPending = true;
    }

    /** Sender thread: true (once) when a pending flush can be applied now. */
    public boolean takeFlush() {
        if (flushPending && shardMap != null && unrouted.isEmpty()) {
            flushPending = false;
            return true;
        }
        return false;
    }

    /** Sender thread: seals aggregates whose buffered time passed (all when {@code force}). @return next deadline */
    public long sealDue(long now, boolean force) {
        long next = Long.MAX_VALUE;
        for (ShardAggregator a : aggregators.values()) {
            a.sealIfDue(now, force, collector);
            next = Math.min(next, a.deadlineMillis());
        }
        return next;
    }

    /**
     * Close: removes every record not yet in a PutRecords call and hands each group to {@code sink} with the
     * attempts made for it so far.
     */
    public void abort(BiConsumer<List<UserRecord>, List<Attempt>> sink) {
        List<UserRecord> loose = new ArrayList<>();
        synchronized (routingLock) {
            for (UserRecord r; (r = unrouted.poll()) != null; ) {
                loose.add(r);
            }
        }
        for (ShardAggregator a : aggregators.values()) {
            loose.addAll(a.drainRecords());
        }
        if (!loose.isEmpty()) {
            sink.accept(loose, List.of());
        }
        for (WrongShard w; (w = wrongShard.poll()) != null; ) {
            sink.accept(w.entry().records(), w.entry().attempts());
        }
        for (KinesisEntry e : collector.abort()) {
            sink.accept(e.records(), e.attempts());
        }
    }
}
