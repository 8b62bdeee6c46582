package io.purekinesis.producer.internal;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.internal.aggregation.ShardAggregator;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.retry.Backoff;
import io.purekinesis.producer.internal.retry.RetryPolicy;
import io.purekinesis.producer.internal.retry.RoutingFeedback;
import io.purekinesis.producer.internal.send.Sender;
import io.purekinesis.producer.internal.shardmap.LoadLimiter;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's stages: shard prediction (its lazily loaded, periodically refreshed {@link ShardMap}), one
 * {@link ShardAggregator} per predicted shard, and the stream's {@link StreamCollector}.
 *
 * <p>User threads call {@link #append}; everything else runs on the sender thread. Records added before the
 * stream's shard map is known wait (unrouted) until it loads, then are routed in {@code add} order; if the stream
 * does not exist they fail with {@link FailureReason#STREAM_NOT_FOUND}, if the producer is refused with
 * {@link FailureReason#NOT_AUTHORIZED}, and the {@link Host} remembers the failure. Shard-map loads take a slot
 * of the producer's {@link LoadLimiter}: first loads queue, refreshes of a working map go first.
 *
 * <p><b>Identity.</b> A pipeline is one stream, keyed by its name. Records added by an ARN wait (unrouted, with
 * everything added after them, to keep order) until the pipeline learned the stream's real ARN once
 * (DescribeStreamSummary by name); an ARN that is not the stream's (another account) fails those records and is
 * refused at later adds ({@link #WRONG_ARN}).
 *
 * <p><b>Release.</b> The host releases an idle or failed pipeline ({@link #tryRelease}): from then on
 * {@link #append} refuses ({@link #REFUSED}) and the adder resolves the stream again. Appends are counted while
 * they run, so a release never strands a record that got in just before.
 */
public final class StreamPipeline implements RoutingFeedback {

    /** {@link #append}: the record was taken; wake the sender. */
    public static final int WAKE = 1;
    /** {@link #append}: the record was taken. */
    public static final int QUIET = 0;
    /** {@link #append}: the pipeline is released or failed; the record was not taken (resolve the stream again). */
    public static final int REFUSED = -1;
    /** {@link #append}: the record's ARN is not this stream's; the record was not taken. */
    public static final int WRONG_ARN = -2;

    /** What a pipeline needs from the producer's set of pipelines. */
    public interface Host {
        /** The producer's shard-map load slots. */
        LoadLimiter<StreamPipeline> loads();

        /** The stream does not exist or refuses the producer: remember it, stop routing new records here. */
        void streamFailed(StreamPipeline pipeline, FailureReason reason, String errorCode, String message,
                Throwable cause);

        /** A shard map loaded ({@code first}: for the first time): forget earlier failures of the stream. */
        void streamLoaded(StreamPipeline pipeline, boolean first);
    }

    private static final Logger LOG = LoggerFactory.getLogger(StreamPipeline.class);
    /** Least time between two reloads asked for by results that landed on an unexpected shard. */
    static final long MIN_REFRESH_GAP_MILLIS = 1000;

    private final String stream;
    private final ProducerConfig config;
    private final ShardMapLoader loader;
    private final Host host;
    /** Appends running now; a release waits for them (see {@link #tryRelease}). */
    private final AtomicInteger adders = new AtomicInteger();
    /** Released or failed: appends are refused. */
    private volatile boolean refusing;
    /** Records added by an ARN not yet verified, with that ARN (identity keys: UserRecord is a future). */
    private final ConcurrentHashMap<UserRecord, String> addressed = new ConcurrentHashMap<>();
    /** New records wait in {@link #unrouted} (behind records of an unverified ARN) until the next load. */
    private volatile boolean holdNew;
    /** The stream's ARN, learned once by DescribeStreamSummary when an ARN spelling needs it. */
    private volatile String verifiedArn;
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
    private boolean queuedForLoad;
    /** Why the stream failed for good (reason, code, message, cause), once it did. */
    private volatile Object[] permanentFailure;
    /** The last failed load's error and call, for records that expire waiting for the shard map. */
    private Throwable lastLoadError;
    private String lastLoadOperation;
    private long lastActiveMillis;
    private long lastQueuedTotal = -1;
    private long nextIdleCheckMillis;
    /** A shard map was loaded at least once (read by the host on the sender thread). */
    private boolean loadedOnce;

    private record WrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
    }

    /**
     * @param stream the stream's name
     * @param waker wakes the sender thread
     */
    public StreamPipeline(String stream, ProducerConfig config, ShardMapLoader loader, Completer completer,
            Runnable waker, Host host) {
        this.stream = stream;
        this.host = host;
        this.lastActiveMillis = config.clock().millis();
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
     * aggregation is off). Called on user threads; never blocks but for the routing lock during a reshard.
     *
     * @param arn the ARN the record was added by, or null when added by name
     * @return {@link #WAKE}, {@link #QUIET}, {@link #REFUSED} (released: resolve the stream again) or
     *     {@link #WRONG_ARN} (the ARN is not this stream's)
     */
    public int append(UserRecord record, String arn) {
        adders.incrementAndGet();
        try {
            if (refusing) {
                return REFUSED;
            }
            ShardMap map = shardMap;
            String verified = verifiedArn;
            if (arn != null && verified != null && !arn.equals(verified)) {
                return WRONG_ARN;
            }
            if (map == null || holdNew || (arn != null && verified == null)) {
                synchronized (routingLock) {
                    map = shardMap;
                    if (arn != null && verifiedArn == null) {
                        // Until the stream's ARN is known this record, and everything after it, waits.
                        addressed.put(record, arn);
                        holdNew = true;
                        unrouted.add(record);
                        return WAKE;
                    }
                    if (arn != null && !arn.equals(verifiedArn)) {
                        return WRONG_ARN;
                    }
                    if (map == null || holdNew) {
                        unrouted.add(record);
                        return WAKE;
                    }
                }
            }
            return route(record, map) ? WAKE : QUIET;
        } finally {
            adders.decrementAndGet();
        }
    }

    /** The message of a record refused for {@link #WRONG_ARN}. */
    public String wrongArnMessage(String arn) {
        return "stream ARN " + arn + " is not the stream '" + stream + "' this producer reaches with its "
                + "credentials (" + verifiedArn + "): a producer writes to the streams of its own account; for a "
                + "stream of another account use a producer whose credentials (e.g. an assumed role) belong to it";
    }

    /** The stream's verified ARN, or null while no ARN spelling needed it. */
    public String verifiedArn() {
        return verifiedArn;
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
     * Sender thread: queues a first shard-map load (or one that verifies an ARN) when records wait for it, takes a
     * refresh slot when the refresh interval passed or a result asked for one; applies a finished load; fails
     * waiting records whose TTL passed.
     *
     * @return when this stream next needs a look for its shard map
     */
    public long maintainShardMap(long now) {
        Object outcome = loadOutcome.getAndSet(null);
        if (outcome != null) {
            loading = false;
            applyLoad(outcome, now);
        }
        boolean waiting = !unrouted.isEmpty();
        Object[] failure = permanentFailure;
        if (waiting && failure != null) {
            // Appends that passed the refusal check just before the stream failed: they fail the same way.
            failUnrouted((FailureReason) failure[0], (String) failure[1], (String) failure[2],
                    (Throwable) failure[3]);
            waiting = false;
        }
        if (!loading && !refusing) {
            boolean first = shardMap == null && (waiting || !wrongShard.isEmpty());
            boolean verify = shardMap != null && holdNew;
            boolean due = shardMap != null && (now >= nextLoadMillis
                    || ((refreshRequested || verify) && now >= lastLoadStartMillis + MIN_REFRESH_GAP_MILLIS));
            if (first && now >= nextLoadMillis) {
                if (!queuedForLoad) {
                    queuedForLoad = true;
                    host.loads().enqueue(this);
                }
            } else if (due && host.loads().tryAcquireRefresh()) {
                startLoad(now);
            }
        }
        if (waiting && !loading) {
            expireUnrouted(now);
        }
        if (!wrongShard.isEmpty()) {
            resolveWrongShards(now);
        }
        List<KinesisEntry> orphans = collector.takeOrphans();
        if (!orphans.isEmpty()) {
            rerouteOrphans(orphans);
        }
        if (loading || queuedForLoad) {
            return Long.MAX_VALUE; // completion wakes the sender
        }
        if (refreshRequested || holdNew) {
            return lastLoadStartMillis + MIN_REFRESH_GAP_MILLIS;
        }
        return shardMap == null && unrouted.isEmpty() ? Long.MAX_VALUE : nextLoadMillis;
    }

    /**
     * Sender thread, from the load limiter: starts the queued first load with the slot it was given.
     *
     * @return false when no load is needed any more (released, or nothing waits): the slot goes back
     */
    public boolean startQueuedLoad(long now) {
        queuedForLoad = false;
        if (refusing || loading || (shardMap != null && !holdNew) || (unrouted.isEmpty() && wrongShard.isEmpty())) {
            return false;
        }
        startLoad(now);
        return true;
    }

    /** With a slot of the load limiter, released when the load ends. */
    private void startLoad(long now) {
        loading = true;
        refreshRequested = false;
        lastLoadStartMillis = now;
        long v = ++version;
        boolean describe = holdNew && verifiedArn == null;
        CompletableFuture<ShardMapLoader.Loaded> load;
        try {
            load = loader.load(stream, v, describe);
        } catch (RuntimeException e) {
            load = CompletableFuture.failedFuture(e);
        }
        load.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((loaded, error) -> {
            host.loads().release();
            Object result = loaded;
            if (error != null) {
                ShardMapLoader.LoadFailedException failed = failure(error);
                Throwable cause = failed != null ? failed.getCause() : RetryPolicy.unwrap(error);
                String operation = failed != null ? failed.operation() : describe ? "DescribeStreamSummary"
                        : "ListShards";
                if (cause instanceof TimeoutException && cause.getMessage() == null) {
                    cause = new TimeoutException(operation + " did not answer within requestTimeout ("
                            + config.requestTimeout().toMillis() + " ms)");
                }
                result = new ShardMapLoader.LoadFailedException(operation, cause);
            }
            loadOutcome.set(result);
            waker.run();
        });
    }

    private static ShardMapLoader.LoadFailedException failure(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ShardMapLoader.LoadFailedException f) {
                return f;
            }
        }
        return null;
    }

    private void applyLoad(Object outcome, long now) {
        if (outcome instanceof ShardMapLoader.Loaded loaded) {
            ShardMap map = loaded.map();
            loadFailures = 0;
            lastLoadError = null;
            nextLoadMillis = now + config.shardMapRefreshInterval().toMillis();
            boolean first = !loadedOnce;
            loadedOnce = true;
            host.streamLoaded(this, first);
            ShardMap previous = shardMap;
            if (previous == null) {
                LOG.debug("Loaded shard map of stream {}: {}", stream, map);
            } else {
                if (!previous.shardIds().equals(map.shardIds())) {
                    LOG.info("Shard map of stream {} changed: {} open shards, was {}", stream, map.size(),
                            previous.size());
                }
                publish(previous, map);
            }
            List<UserRecord> wrongArn = new ArrayList<>(0);
            List<String> wrongArns = new ArrayList<>(0);
            synchronized (routingLock) {
                if (loaded.arn() != null) {
                    verifiedArn = loaded.arn();
                }
                ShardMap routing = previous == null ? map : shardMap;
                for (UserRecord r; (r = unrouted.peek()) != null; ) {
                    String arn = addressed.isEmpty() ? null : addressed.get(r);
                    if (arn != null && verifiedArn == null) {
                        break; // added by an ARN during a load that did not verify one: the next load will
                    }
                    unrouted.poll();
                    if (arn != null) {
                        addressed.remove(r);
                    }
                    if (arn != null && !arn.equals(verifiedArn)) {
                        wrongArn.add(r);
                        wrongArns.add(arn);
                    } else {
                        route(r, routing);
                    }
                }
                holdNew = !unrouted.isEmpty();
                shardMap = routing;
            }
            for (int i = 0; i < wrongArn.size(); i++) {
                completer.fail(stream, List.of(wrongArn.get(i)), List.of(), FailureReason.NON_RETRYABLE_ERROR, null,
                        wrongArnMessage(wrongArns.get(i)), null);
            }
            return;
        }
        ShardMapLoader.LoadFailedException failed = (ShardMapLoader.LoadFailedException) outcome;
        Throwable error = failed.getCause();
        String operation = failed.operation();
        lastLoadError = error;
        lastLoadOperation = operation;
        loadFailures++;
        String code = RetryPolicy.errorCode(error);
        String errorMessage = RetryPolicy.errorMessage(error);
        FailureReason permanent = RetryPolicy.permanentReason(code, error);
        if (permanent != null && operation.equals("DescribeStreamSummary")
                && permanent != FailureReason.STREAM_NOT_FOUND) {
            // Only the records added by an ARN needed it: they fail, the others go on with a plain load.
            failAddressed(permanent, code, permanent == FailureReason.NOT_AUTHORIZED
                    ? RetryPolicy.notAuthorizedMessage(stream, operation, code, errorMessage, error)
                    + " (DescribeStreamSummary verifies a stream ARN once; add records by the stream's name to do "
                    + "without it)" : operation + " of stream '" + stream + "' failed: " + errorMessage, error);
            nextLoadMillis = now;
            return;
        }
        if (permanent != null) {
            String message = permanent == FailureReason.NOT_AUTHORIZED
                    ? RetryPolicy.notAuthorizedMessage(stream, operation, code, errorMessage, error)
                    : permanent == FailureReason.STREAM_NOT_FOUND
                    ? "stream '" + stream + "' not found (" + operation + ": " + errorMessage + "): check the "
                            + "stream name, the producer's region and account (the credentials')"
                            + (operation.equals("DescribeStreamSummary") ? "; records added by a stream ARN name "
                            + "a stream of the producer's own account: for another account's stream use a producer "
                            + "whose credentials belong to that account" : "")
                    : operation + " of stream '" + stream + "' failed: " + errorMessage;
            LOG.warn("Cannot load the shard map of stream {} ({}: {}): failing its waiting records", stream, code,
                    errorMessage);
            nextLoadMillis = now + MIN_REFRESH_GAP_MILLIS;
            if (permanent != FailureReason.NON_RETRYABLE_ERROR) {
                // Before the records fail: whoever sees them fail and adds again must find the stream remembered.
                permanentFailure = new Object[] {permanent, code, message, error};
                host.streamFailed(this, permanent, code, message, error);
            }
            failUnrouted(permanent, code, message, error);
            return;
        }
        long delay = loadBackoff.delayMillis(loadFailures);
        nextLoadMillis = now + Math.max(10, delay);
        LOG.warn("Loading the shard map of stream {} failed (attempt {}), retrying in {} ms: {}: {}", stream,
                loadFailures, delay, operation, error.toString());
        expireUnrouted(now);
    }

    /** Fails every waiting record. */
    private void failUnrouted(FailureReason reason, String code, String message, Throwable cause) {
        List<UserRecord> failedRecords = new ArrayList<>();
        synchronized (routingLock) {
            for (UserRecord r; (r = unrouted.poll()) != null; ) {
                failedRecords.add(r);
            }
            addressed.clear();
            holdNew = false;
        }
        completer.fail(stream, failedRecords, List.of(), reason, code, message, cause);
    }

    /** Fails the waiting records that were added by an ARN (in order), keeping the others. */
    private void failAddressed(FailureReason reason, String code, String message, Throwable cause) {
        List<UserRecord> failedRecords = new ArrayList<>();
        synchronized (routingLock) {
            for (Iterator<UserRecord> it = unrouted.iterator(); it.hasNext(); ) {
                UserRecord r = it.next();
                if (addressed.remove(r) != null) {
                    it.remove();
                    failedRecords.add(r);
                }
            }
            holdNew = false;
        }
        completer.fail(stream, failedRecords, List.of(), reason, code, message, cause);
    }

    /** Fails waiting records whose TTL passed, naming why no shard map came: the last load error, or the queue. */
    private void expireUnrouted(long now) {
        UserRecord head = unrouted.peek();
        if (head == null || head.expiryMillis() > now) {
            return; // FIFO with one TTL: nothing behind the head expired either
        }
        List<UserRecord> expired = new ArrayList<>();
        synchronized (routingLock) {
            for (Iterator<UserRecord> it = unrouted.iterator(); it.hasNext(); ) {
                UserRecord r = it.next();
                if (r.expiryMillis() <= now) {
                    it.remove();
                    addressed.remove(r);
                    expired.add(r);
                }
            }
        }
        if (expired.isEmpty()) {
            return;
        }
        Throwable last = lastLoadError;
        String code = last == null ? null : RetryPolicy.errorCode(last);
        String message;
        if (last != null) {
            message = "the shard map of stream '" + stream + "' could not be loaded before the record's TTL; last "
                    + lastLoadOperation + " error: " + code + ": " + RetryPolicy.errorMessage(last);
        } else if (queuedForLoad) {
            message = "the shard map of stream '" + stream + "' was not loaded before the record's TTL: it waited "
                    + "for one of the producer's shard-map load slots (" + host.loads().inFlight() + " loads in "
                    + "flight, " + host.loads().waiting() + " streams waiting)";
        } else {
            message = "the shard map of stream '" + stream + "' was not loaded before the record's TTL";
        }
        completer.fail(stream, expired, List.of(), FailureReason.TTL_EXPIRED, code, message, last);
    }

    /** Result handler (SDK thread): asks for a reload soon. */
    public void requestRefresh() {
        refreshRequested = true;
    }

    @Override
    public void shardMapStale(String ignored) {
        requestRefresh();
    }

    /** Result handler (SDK thread): a whole call said the stream is gone or refuses us. */
    @Override
    public void streamFailed(String ignored, FailureReason reason, String errorCode, String message,
            Throwable cause) {
        permanentFailure = new Object[] {reason, errorCode, message, cause};
        host.streamFailed(this, reason, errorCode, message, cause);
        waker.run();
    }

    /**
     * Sender thread: true when nothing was queued, buffered, waiting or in flight here for {@code idleMillis}
     * (looked at about once a second, cheaply: a count of queued entries, then the stages' emptiness).
     */
    public boolean idleFor(long now, long idleMillis) {
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
        if (loading || !unrouted.isEmpty() || !wrongShard.isEmpty()) {
            return false;
        }
        for (ShardAggregator a : aggregators.values()) {
            if (a.deadlineMillis() != Long.MAX_VALUE) {
                return false;
            }
        }
        return collector.isIdle();
    }

    /** Whether a shard map was ever loaded (sender thread). */
    public boolean loadedOnce() {
        return loadedOnce;
    }

    /** From now on appends are refused ({@link #REFUSED}); the adder resolves the stream again. */
    public void refuse() {
        refusing = true;
    }

    public boolean isRefusing() {
        return refusing;
    }

    /**
     * Sender thread: releases the pipeline if it is empty once the appends running now ended: refuses appends,
     * waits for those under way (they never block), then looks again. If something got in meanwhile the release
     * is called off (unless the pipeline had failed: then it stays refusing and drains).
     *
     * @return true when released: nothing is left in it and nothing can enter it
     */
    public boolean tryRelease() {
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

    /** Result handler (SDK thread): the aggregate is resolved once a newer shard map knows the actual shard. */
    @Override
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
            addressed.clear();
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
