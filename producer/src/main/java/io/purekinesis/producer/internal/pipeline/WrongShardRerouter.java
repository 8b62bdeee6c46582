package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.EntrySettings;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.shardmap.ShardMap;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends again what answers showed was predicted with a stale shard map, once a newer map knows where it belongs:
 * aggregates Kinesis stored on another shard than predicted (the records outside that shard's range are resent,
 * the others succeeded there), and retries of calls to shards that closed meanwhile ({@linkplain
 * StreamCollector#takeOrphans orphans}). Both go to the front of their new shards, ahead of anything newer, and
 * only then release the hold that kept the old shard (and its children) from sending: so a key's records stay in
 * {@code add} order across a reshard.
 *
 * <p>{@link #aggregateOnWrongShard} runs on SDK threads; the rest on the sender thread.
 */
final class WrongShardRerouter {

    private static final Logger LOG = LoggerFactory.getLogger(WrongShardRerouter.class);

    private record WrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
    }

    private final String stream;
    private final EntrySettings entrySettings;
    private final StreamCollector collector;
    private final Completer completer;
    /** Asks the shard-map keeper for a reload soon. */
    private final Runnable requestRefresh;
    private final ConcurrentLinkedQueue<WrongShard> wrongShard = new ConcurrentLinkedQueue<>();

    WrongShardRerouter(String stream, EntrySettings entrySettings, StreamCollector collector, Completer completer,
            Runnable requestRefresh) {
        this.stream = stream;
        this.entrySettings = entrySettings;
        this.collector = collector;
        this.completer = completer;
        this.requestRefresh = requestRefresh;
    }

    /** Result handler (SDK thread): the aggregate is resolved once a newer shard map knows the actual shard. */
    void aggregateOnWrongShard(KinesisEntry entry, String actualShardId, String sequenceNumber) {
        // Before the call's shard is freed: nothing predicted for it (or for its children) is sent until the
        // records of this aggregate outside the actual shard's range went to the front of their shards.
        collector.hold(entry.shardId());
        wrongShard.add(new WrongShard(entry, actualShardId, sequenceNumber));
        requestRefresh.run();
    }

    /** Sender thread: resolves what the current {@code map} can, then re-routes the collector's orphans. */
    void reroute(long now, ShardMap map) {
        if (!wrongShard.isEmpty()) {
            resolveWrongShards(now, map);
        }
        List<KinesisEntry> orphans = collector.takeOrphans();
        if (!orphans.isEmpty()) {
            rerouteOrphans(orphans, map);
        }
    }

    private void resolveWrongShards(long now, ShardMap map) {
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
                    requestRefresh.run();
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

    /** Retries of calls to shards that closed meanwhile: resent with the current map, ahead of newer records. */
    private void rerouteOrphans(List<KinesisEntry> orphans, ShardMap map) {
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

    /** Aggregates waiting for a newer shard map. */
    boolean hasWaiting() {
        return !wrongShard.isEmpty();
    }

    /** Close: hands each waiting aggregate's records to {@code sink} with the attempts made for them. */
    void drainForClose(BiConsumer<List<UserRecord>, List<Attempt>> sink) {
        for (WrongShard w; (w = wrongShard.poll()) != null; ) {
            sink.accept(w.entry().records(), w.entry().attempts());
        }
    }
}
