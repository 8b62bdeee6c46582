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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    /** Shards that left the shard map: no aggregator is made for them again. */
    private final Set<String> closedShards = ConcurrentHashMap.newKeySet();
    private final Object routingLock = new Object();
    private final AtomicReference<Object> loadOutcome = new AtomicReference<>();
    private final long maxBufferedMillis;
    private final EntrySettings entrySettings;
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
        this.entrySettings = new EntrySettings(stream, maxBufferedMillis, config.recordTtl().toMillis());
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
                int outcome = collector.offer(KinesisEntry.plain(entrySettings, record, shardId));
                if (outcome != StreamCollector.REFUSED) {
                    return outcome == StreamCollector.WAKE;
                }
            } else {
                ShardAggregator aggregator = aggregators.get(shardId);
                if (aggregator == null) {
                    aggregator = aggregators.computeIfAbsent(shardId, k -> closedShards.contains(k) ? null
                            : new ShardAggregator(shardId, aggregateMaxSize, config.aggregationMaxCount(),
                                    entrySettings, wakeOnNewDeadline));
                }
                if (aggregator != null) {
                    int outcome = aggregator.offer(record, collector);
                    if (outcome != ShardAggregator.RETIRED) {
                        return outcome == ShardAggregator.WAKE;
                    }
                }
            }
            // The shard closed while this thread predicted it with an older map. The sender re-routes the closed
            // shard's records under the routing lock before it publishes the newer map: wait for that, then
            // predict again, so this record goes behind them.
            ShardMap current;
            synchronized (routingLock) {
                current = shardMap;
            }
            if (current == map || Thread.holdsLock(routingLock)) {
                return collector.enqueue(KinesisEntry.plain(entrySettings, record, shardId));
            }
            map = current;
        }
    }

    /**
     * Sender thread: applies a newer shard map. When shards closed, under the routing lock and before the map is
     * published (an adder that predicted a closed shard waits for the lock, see {@link #route}): retires their
     * aggregators, takes everything still unsent that was predicted for them (collector entries first, oldest
     * first, then the open aggregates) and routes those user records with the new map, in their original order,
     * ahead of anything newer. New shards overlapping a closed shard whose call is still in flight (or whose answer
     * is not re-routed yet) wait for it ({@link StreamCollector#closeShards}). Then drops the idle queues of closed
     * shards, so per-shard state and the cost of a sender pass follow the open shards.
     */
    private void publish(ShardMap previous, ShardMap map) {
        Set<String> open = new HashSet<>(map.shardIds());
        Set<String> closed = new HashSet<>();
        for (String id : previous.shardIds()) {
            if (!open.contains(id)) {
                closed.add(id);
            }
        }
        for (String id : aggregators.keySet()) {
            if (!open.contains(id)) {
                closed.add(id);
            }
        }
        if (closed.isEmpty()) {
            shardMap = map;
            collector.dropIdleShards(open);
            return;
        }
        Set<String> before = new HashSet<>(previous.shardIds());
        Map<String, List<String>> parentsOf = new HashMap<>();
        for (String child : map.shardIds()) {
            if (before.contains(child)) {
                continue;
            }
            HashKeyRange c = map.rangeOf(child);
            List<String> parents = new ArrayList<>(2);
            for (String p : closed) {
                HashKeyRange r = previous.rangeOf(p);
                if (r == null || overlaps(r, c)) {
                    parents.add(p);
                }
            }
            parentsOf.put(child, parents);
        }
        synchronized (routingLock) {
            closedShards.addAll(closed);
            List<UserRecord> unsealed = new ArrayList<>();
            for (String id : closed) {
                ShardAggregator a = aggregators.remove(id);
                if (a != null) {
                    unsealed.addAll(a.retireAndDrain());
                }
            }
            List<UserRecord> again = new ArrayList<>();
            for (KinesisEntry e : collector.closeShards(closed, parentsOf)) {
                boolean tried = !e.attempts().isEmpty();
                for (UserRecord r : e.records()) {
                    if (!r.isDecided()) {
                        if (tried) {
                            r.addPriorAttempts(e.attempts());
                        }
                        again.add(r);
                    }
                }
            }
            again.addAll(unsealed);
            for (UserRecord r : again) {
                route(r, map);
            }
            shardMap = map;
            if (!again.isEmpty()) {
                LOG.debug("Re-routed {} unsent records of closed shards {} of stream {}", again.size(), closed,
                        stream);
            }
        }
        collector.dropIdleShards(open);
    }

    private static boolean overlaps(HashKeyRange a, HashKeyRange b) {
        return a.startingHashKey().compareTo(b.endingHashKey()) <= 0
                && b.startingHashKey().compareTo(a.endingHashKey()) <= 0;
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
        List<KinesisEntry> orphans = collector.takeOrphans();
        if (!orphans.isEmpty()) {
            rerouteOrphans(orphans);
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
            Throwable cause = error == null ? null : RetryPolicy.unwrap(error);
            if (cause instanceof TimeoutException && cause.getMessage() == null) {
                cause = new TimeoutException("ListShards did not answer within requestTimeout ("
                        + config.requestTimeout().toMillis() + " ms)");
            }
            loadOutcome.set(cause != null ? cause : map);
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
                publish(previous, map);
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
            completer.fail(stream, failed, List.of(), notFound ? FailureReason.STREAM_NOT_FOUND
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
            completer.fail(stream, expired, List.of(), FailureReason.TTL_EXPIRED, null,
                    "the shard map of stream '" + stream + "' could not be loaded before the record's TTL", null);
        }
    }

    /** Result handler (SDK thread): asks for a reload soon. */
    public void requestRefresh() {
        refreshRequested = true;
    }

    /** Result handler (SDK thread): the aggregate is resolved once a newer shard map knows the actual shard. */
    public void aggregateOnWrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
        // Before the call's shard is freed: nothing predicted for it (or for its children) is sent until the
        // records of this aggregate outside the actual shard's range went to the front of their shards.
        collector.hold(entry.shardId());
        wrongShard.add(new WrongShard(entry, actualShardId, sequenceNumber));
        refreshRequested = true;
    }

    private void resolveWrongShards(long now) {
        ShardMap map = shardMap;
        List<KinesisEntry> front = new ArrayList<>();
        List<String> released = new ArrayList<>();
        for (Iterator<WrongShard> it = wrongShard.iterator(); it.hasNext(); ) {
            WrongShard w = it.next();
            HashKeyRange range = map == null ? null : map.rangeOf(w.actualShardId());
            if (range == null) {
                if (now >= w.entry().expiryMillis()) {
                    it.remove();
                    released.add(w.entry().shardId());
                    completer.fail(stream, w.entry().records(), w.entry().attempts(), FailureReason.TTL_EXPIRED,
                            "WrongShard", "stored in shard " + w.actualShardId()
                                    + " which the shard map does not know yet", null);
                } else {
                    refreshRequested = true;
                }
                continue;
            }
            it.remove();
            KinesisEntry e = w.entry();
            released.add(e.shardId());
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
                    front.add(KinesisEntry.plain(entrySettings, r, map.shardFor(r.hashHi(), r.hashLo())));
                }
            }
            LOG.debug("Resolved an aggregate of stream {} stored in unexpected shard {} at {}", stream,
                    w.actualShardId(), Instant.ofEpochMilli(now));
        }
        pushFront(front, released);
    }

    /**
     * Resent records of calls made with an older map go to the front of their shards under the current one: they
     * are older than anything queued there (whose shards waited for these calls), then the holds are released.
     */
    private void pushFront(List<KinesisEntry> front, List<String> released) {
        if (front.isEmpty() && released.isEmpty()) {
            return;
        }
        if (!collector.pushFront(front, released)) {
            for (KinesisEntry e : front) {
                completer.fail(stream, e.records(), e.attempts(), FailureReason.PRODUCER_CLOSED, "WrongShard",
                        "the producer closed before the record could be resent", null);
            }
        }
    }

    /** Retries of calls to shards that closed meanwhile: resent with the current map, ahead of newer records. */
    private void rerouteOrphans(List<KinesisEntry> orphans) {
        ShardMap map = shardMap;
        List<KinesisEntry> front = new ArrayList<>();
        List<String> released = new ArrayList<>(orphans.size());
        for (KinesisEntry e : orphans) {
            released.add(e.shardId());
            for (UserRecord r : e.records()) {
                if (!r.isDecided()) {
                    r.addPriorAttempts(e.attempts());
                    front.add(KinesisEntry.plain(entrySettings, r, map.shardFor(r.hashHi(), r.hashLo())));
                }
            }
        }
        pushFront(front, released);
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
