package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.aggregation.ShardAggregator;
import io.purekinesis.producer.internal.batching.Offered;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.shardmap.ShardMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one stream's user records: predicts each record's shard with the published {@link ShardMap} and hands it
 * to that shard's {@link ShardAggregator} (plain, straight to the collector, when aggregation is off or no shard is
 * predicted). Records added before any shard map is known, or by an ARN not verified yet (and everything added
 * after them, to keep order), wait ({@link WaitingRecords}) until a load routes them ({@link #mapLoaded}).
 *
 * <p>The routing lock orders the slow paths: an adder that must wait, the routing of waiting records after a load,
 * and a reshard ({@link #mapLoaded} with closed shards), which takes back everything unsent for the closed shards
 * and routes it again before the new map becomes visible. The fast path (a map known, nothing waiting) takes only
 * the aggregator's lock.
 */
final class RecordRouter {

    private static final Logger LOG = LoggerFactory.getLogger(RecordRouter.class);

    /** An unrouted record that was added by an ARN that is not the stream's. */
    record Misaddressed(UserRecord record, String arn) {
    }

    private final String stream;
    private final ProducerConfig config;
    private final EntrySettings entrySettings;
    /** Kinesis counts the partition key "a" too: an aggregate's data may be at most 1 MiB - 1. */
    private final int aggregateMaxSize;
    private final boolean wakeOnNewDeadline;
    private final StreamCollector collector;
    private final ConcurrentHashMap<String, ShardAggregator> aggregators = new ConcurrentHashMap<>();
    /** Shards that left the shard map: no aggregator is made for them again. */
    private final Set<String> closedShards = ConcurrentHashMap.newKeySet();
    private final Object routingLock = new Object();
    private final WaitingRecords waiting = new WaitingRecords(routingLock);
    /** New records wait (behind records of an unverified ARN) until the next load. */
    private volatile boolean holdNew;
    /** The stream's ARN, learned once by DescribeStreamSummary when an ARN spelling needs it. */
    private volatile String verifiedArn;
    private volatile ShardMap shardMap;

    /** @param wakeOnNewDeadline whether a new aggregate (a new send deadline) must wake the sender */
    RecordRouter(String stream, ProducerConfig config, EntrySettings entrySettings, boolean wakeOnNewDeadline,
            StreamCollector collector) {
        this.stream = stream;
        this.config = config;
        this.entrySettings = entrySettings;
        this.aggregateMaxSize = Math.min(config.aggregationMaxSize(),
                ProducerConfig.MAX_RECORD_SIZE_BYTES - KinesisEntry.AGGREGATE_PARTITION_KEY.length());
        this.wakeOnNewDeadline = wakeOnNewDeadline;
        this.collector = collector;
    }

    /**
     * User thread: routes the record, or keeps it waiting for a shard map or for the stream's ARN. Never blocks but
     * for the routing lock during a reshard or while records wait.
     *
     * @param arn the ARN the record was added by, or null when added by name
     * @return {@link AppendOutcome#WAKE}, {@link AppendOutcome#QUIET} or {@link AppendOutcome#WRONG_ARN}
     */
    AppendOutcome append(UserRecord record, String arn) {
        ShardMap map = shardMap;
        String verified = verifiedArn;
        if (arn != null && verified != null && !arn.equals(verified)) {
            return AppendOutcome.WRONG_ARN;
        }
        if (map == null || holdNew || (arn != null && verified == null)) {
            synchronized (routingLock) {
                map = shardMap;
                if (arn != null && verifiedArn == null) {
                    // Until the stream's ARN is known this record, and everything after it, waits.
                    holdNew = true;
                    waiting.add(record, arn);
                    return AppendOutcome.WAKE;
                }
                if (arn != null && !arn.equals(verifiedArn)) {
                    return AppendOutcome.WRONG_ARN;
                }
                if (map == null || holdNew) {
                    waiting.add(record, null);
                    return AppendOutcome.WAKE;
                }
            }
        }
        return route(record, map) ? AppendOutcome.WAKE : AppendOutcome.QUIET;
    }

    /** The message of a record refused for {@link AppendOutcome#WRONG_ARN}. */
    String wrongArnMessage(String arn) {
        return "stream ARN " + arn + " is not the stream '" + stream + "' this producer reaches with its "
                + "credentials (" + verifiedArn + "): a producer writes to the streams of its own account; for a "
                + "stream of another account use a producer whose credentials (e.g. an assumed role) belong to it";
    }

    private boolean route(UserRecord record, ShardMap map) {
        while (true) {
            String shardId = map.shardFor(record.hashHi(), record.hashLo());
            if (!config.aggregationEnabled() || shardId == null) {
                // No prediction (a gap in the map, e.g. mid-reshard): plain, so Kinesis routes it by its own key.
                Offered outcome = collector.offer(KinesisEntry.plain(entrySettings, record, shardId));
                if (outcome != Offered.SHARD_CLOSED) {
                    return outcome == Offered.WAKE;
                }
            } else {
                ShardAggregator aggregator = aggregators.get(shardId);
                if (aggregator == null) {
                    aggregator = aggregators.computeIfAbsent(shardId, k -> closedShards.contains(k) ? null
                            : new ShardAggregator(shardId, aggregateMaxSize, config.aggregationMaxCount(),
                                    entrySettings, wakeOnNewDeadline));
                }
                if (aggregator != null) {
                    Offered outcome = aggregator.offer(record, collector);
                    if (outcome != Offered.SHARD_CLOSED) {
                        return outcome == Offered.WAKE;
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
     * Sender thread: a load brought {@code map} (and the stream's ARN, when it was asked for). Publishes the map
     * (re-routing the unsent records of closed shards, see {@link #publish}), then routes the waiting records in
     * {@code add} order, up to the first one whose ARN still needs verifying.
     *
     * @return the waiting records whose ARN is not the stream's, taken out: the caller fails them
     */
    List<Misaddressed> mapLoaded(ShardMap map, String arn) {
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
        List<Misaddressed> wrongArn = new ArrayList<>(0);
        synchronized (routingLock) {
            if (arn != null) {
                verifiedArn = arn;
            }
            ShardMap routing = previous == null ? map : shardMap;
            for (UserRecord r; (r = waiting.peek()) != null; ) {
                String by = waiting.arnOf(r);
                if (by != null && verifiedArn == null) {
                    break; // added by an ARN during a load that did not verify one: the next load will
                }
                waiting.removeHead();
                if (by != null && !by.equals(verifiedArn)) {
                    wrongArn.add(new Misaddressed(r, by));
                } else {
                    route(r, routing);
                }
            }
            holdNew = !waiting.isEmpty();
            shardMap = routing;
        }
        return wrongArn;
    }

    /**
     * Applies a newer shard map. When shards closed, under the routing lock and before the map is published (an
     * adder that predicted a closed shard waits for the lock, see {@link #route}): retires their aggregators, takes
     * everything still unsent that was predicted for them (collector entries first, oldest first, then the open
     * aggregates) and routes those user records with the new map, in their original order, ahead of anything newer.
     * New shards overlapping a closed shard whose call is still in flight (or whose answer is not re-routed yet)
     * wait for it ({@link StreamCollector#closeShards}). Then drops the idle queues of closed shards, so per-shard
     * state and the cost of a sender pass follow the open shards.
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
        Map<String, List<String>> parentsOf = map.parentsOf(previous, closed);
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

    /** Takes every waiting record out (the stream failed for good). */
    List<UserRecord> takeWaiting() {
        synchronized (routingLock) {
            holdNew = false;
            return waiting.takeAll();
        }
    }

    /** Takes the waiting records that were added by an ARN out (in order), keeping the others. */
    List<UserRecord> takeAddressed() {
        synchronized (routingLock) {
            holdNew = false;
            return waiting.takeAddressed();
        }
    }

    /** Takes the waiting records whose TTL passed out. */
    List<UserRecord> takeExpired(long now) {
        return waiting.takeExpired(now);
    }

    /**
     * Sender thread: once any aggregate's buffered time passed (or on {@code force}), seals every open aggregate of
     * the stream, not only the due ones. The call that carries the due aggregate then carries the others too: at
     * moderate load each shard's aggregate would otherwise be due at its own moment and go in a call of its own.
     * Sealing together also gives the shards' next aggregates one common deadline, so later calls stay full. A
     * record sealed early only goes sooner than its buffered time asked.
     *
     * @return the earliest deadline still open
     */
    long sealDue(long now, boolean force) {
        boolean anyDue = force;
        long next = Long.MAX_VALUE;
        for (ShardAggregator a : aggregators.values()) {
            long deadline = a.deadlineMillis();
            anyDue |= deadline <= now;
            next = Math.min(next, deadline);
        }
        if (!anyDue) {
            return next;
        }
        next = Long.MAX_VALUE;
        for (ShardAggregator a : aggregators.values()) {
            a.sealIfDue(now, true, collector);
            next = Math.min(next, a.deadlineMillis());
        }
        return next;
    }

    /** Close: removes every record not yet sealed into an entry (waiting ones first, in order). */
    List<UserRecord> drainForClose() {
        List<UserRecord> loose = waiting.takeAll();
        for (ShardAggregator a : aggregators.values()) {
            loose.addAll(a.drainRecords());
        }
        return loose;
    }

    /** Records wait for a shard map or for the stream's ARN. */
    boolean hasWaiting() {
        return !waiting.isEmpty();
    }

    /** Nothing waits here and no aggregate is open. */
    boolean isEmpty() {
        if (!waiting.isEmpty()) {
            return false;
        }
        for (ShardAggregator a : aggregators.values()) {
            if (a.deadlineMillis() != Long.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    /** New records wait behind records whose ARN a load must verify. */
    boolean holdsNew() {
        return holdNew;
    }

    /** The stream's verified ARN, or null while no ARN spelling needed it. */
    String verifiedArn() {
        return verifiedArn;
    }

    /** The published shard map, or null before the first load. */
    ShardMap shardMap() {
        return shardMap;
    }

    Set<String> aggregatorShardIds() {
        return Set.copyOf(aggregators.keySet());
    }
}
