package io.purekinesis.consumer.internal.shardsync;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseScan;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.lease.StreamIdentity;
import io.purekinesis.consumer.internal.lease.StreamKey;
import io.purekinesis.consumer.internal.lease.TrackedStream;
import io.purekinesis.consumer.internal.lease.TrackedStreams;
import java.util.Collection;
import io.purekinesis.internal.kinesis.ShardLister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Keeps the lease table in step with the stream's shards: creates a lease for every shard that needs one, already
 * owned (conditional put, so racing leaders are harmless), and deletes finished leases once their children have
 * theirs and a delay has passed. Run by the fleet's leader only. The rules are in {@link Lineage}.
 */
public final class ShardSyncer {

    private static final Logger log = LoggerFactory.getLogger(ShardSyncer.class);
    /** Lease creations sent at once. */
    static final int CREATE_CHUNK = 100;

    private final KinesisAsyncClient kinesis;
    private final String streamName;
    /** Multi-stream mode: the streams to sync; null in single-stream mode. */
    private final TrackedStreams streams;
    private final LeaseTable table;
    private final InitialPosition initialPosition;
    private final long cleanupDelayNanos;
    private final Time time;
    /** Finished leases found deletable, with when that was first seen; touched by one sync at a time. */
    private final Map<String, Long> deletableSince = new HashMap<>();

    /** Single-stream mode. @param time measures how long a finished lease has been deletable */
    public ShardSyncer(KinesisAsyncClient kinesis, String streamName, LeaseTable table,
            InitialPosition initialPosition, Duration cleanupDelay, Time time) {
        this(kinesis, streamName, null, table, initialPosition, cleanupDelay, time);
    }

    /** Multi-stream mode: syncs each of the streams read now, one after the other. */
    public ShardSyncer(KinesisAsyncClient kinesis, TrackedStreams streams, LeaseTable table,
            InitialPosition initialPosition, Duration cleanupDelay, Time time) {
        this(kinesis, null, streams, table, initialPosition, cleanupDelay, time);
    }

    private ShardSyncer(KinesisAsyncClient kinesis, String streamName, TrackedStreams streams, LeaseTable table,
            InitialPosition initialPosition, Duration cleanupDelay, Time time) {
        this.kinesis = kinesis;
        this.streamName = streamName;
        this.streams = streams;
        this.table = table;
        this.initialPosition = initialPosition;
        this.cleanupDelayNanos = cleanupDelay.toNanos();
        this.time = time;
    }

    /**
     * One stream to sync: its name and the mapping between its shard ids and lease keys ({@link Lineage} works on
     * shard ids: rows name parents and children by shard id, as KCL's do).
     */
    private record Scope(String streamName, TrackedStream stream) {
        String key(String shardId) {
            return stream == null ? shardId : stream.leaseKey(shardId);
        }

        boolean owns(String key) {
            return stream == null || stream.owns(key);
        }

        /** The shard ids of {@code keys} of this stream. */
        Set<String> shardIds(Collection<String> keys) {
            Set<String> out = new HashSet<>();
            for (String k : keys) {
                if (owns(k)) {
                    out.add(StreamKey.shardIdOf(k));
                }
            }
            return out;
        }

        Lease rekeyed(Lease l, String key) {
            return new Lease(key, l.leaseOwner(), l.leaseCounter(), l.checkpoint(), l.ownerSwitchesSinceCheckpoint(),
                    l.parentShardIds(), l.childShardIds(), l.startingHashKey(), l.endingHashKey(),
                    l.checkpointOwner());
        }
    }

    private List<Scope> scopes() {
        if (streams == null) {
            return List.of(new Scope(streamName, null));
        }
        return streams.current().stream().map(t -> new Scope(t.name(), t)).toList();
    }

    /**
     * Lists the stream's shards (paginated), creates missing leases (parents first), each owned by the worker
     * {@code owners} names, then deletes finished leases that have been deletable for the clean-up delay.
     * Multi-stream mode: each stream read now in turn.
     *
     * @param scan   the lease table as just read; rows the consumer cannot use are never written over, nor deleted
     * @param owners the owner of each new lease (the least loaded live worker), so no row waits unowned
     * @return the leases created
     */
    public List<Lease> sync(LeaseScan scan, Supplier<String> owners) {
        return sync(scan, owners, new HashSet<>());
    }

    /**
     * {@link #sync(LeaseScan, Supplier)}, adding to {@code known} the keys of every lease that exists after it (the
     * scan's, unusable rows', rows of streams not read now, and those it created or found created by someone else):
     * what the next {@link #syncKnown} judges "missing" by.
     */
    public List<Lease> sync(LeaseScan scan, Supplier<String> owners, Set<String> known) {
        return sync(scan, owners, known, () -> true);
    }

    /**
     * {@link #sync(LeaseScan, Supplier, Set)} that stops creating when, after a chunk of writes found leases
     * created by someone else meanwhile, {@code stillLeading} says another worker leads: workers starting together
     * can each find themselves the lowest live id before their peers joined, and each would otherwise write every
     * lease (100 workers, 10,000 shards: a million PutItems). What it did not try is left to the next sync.
     */
    public synchronized List<Lease> sync(LeaseScan scan, Supplier<String> owners, Set<String> known,
            BooleanSupplier stillLeading) {
        Set<String> existingKeys = new HashSet<>();
        scan.leases().forEach(l -> existingKeys.add(l.leaseKey()));
        existingKeys.addAll(scan.unusableKeys());
        existingKeys.addAll(scan.untrackedKeys());
        known.addAll(existingKeys);
        List<Lease> created = new ArrayList<>();
        boolean rescan = false;
        Map<Scope, List<Shard>> listed = new HashMap<>();
        for (Scope scope : scopes()) {
            List<Shard> shards = listShards(scope);
            if (shards == null) {
                continue;
            }
            listed.put(scope, shards);
            List<Lease> toCreate = rekey(scope, Lineage.leasesToCreate(shards, scope.shardIds(existingKeys),
                    initialPosition));
            Set<String> tried = new HashSet<>();
            List<Lease> done = create(toCreate, owners, tried, stillLeading);
            known.addAll(tried); // created now, or by someone else before
            created.addAll(done);
            rescan |= done.size() < toCreate.size();
        }
        Map<String, Lease> existing = new HashMap<>();
        if (rescan) { // someone else wrote some of them: read what is really there before deleting
            table.scanAll().join().forEach(l -> existing.put(l.leaseKey(), l));
        } else {
            scan.leases().forEach(l -> existing.put(l.leaseKey(), l));
            created.forEach(l -> existing.put(l.leaseKey(), l));
        }
        listed.forEach((scope, shards) -> deleteFinished(scope, shards, existing));
        return created;
    }

    /** What {@link #syncKnown} did, and whether a full sync (with a read of the table) may have more to do. */
    public record KnownSync(List<Lease> created, boolean closedShardsHaveLeases) {
    }

    /**
     * Lists the stream's shards and creates the missing leases (owned as {@code owners} says), judging "missing"
     * by {@code knownKeys} (the keys of the last full read of the table, and those written since), so the table
     * is not read. Adds what it tried to create to {@code knownKeys}; deletes nothing, but says whether closed
     * shards have leases (finished leases to delete, once read: {@link #sync(LeaseScan, Supplier)}).
     */
    public synchronized KnownSync syncKnown(Set<String> knownKeys, Supplier<String> owners) {
        List<Lease> created = new ArrayList<>();
        boolean closed = false;
        for (Scope scope : scopes()) {
            List<Shard> shards = listShards(scope);
            if (shards == null) {
                continue;
            }
            List<Lease> toCreate = rekey(scope, Lineage.leasesToCreate(shards, scope.shardIds(knownKeys),
                    initialPosition));
            Set<String> tried = new HashSet<>();
            created.addAll(create(toCreate, owners, tried, () -> true));
            knownKeys.addAll(tried);
            closed |= shards.stream().anyMatch(s -> s.sequenceNumberRange() != null
                    && s.sequenceNumberRange().endingSequenceNumber() != null
                    && knownKeys.contains(scope.key(s.shardId())));
        }
        return new KnownSync(created, closed);
    }

    private static List<Lease> rekey(Scope scope, List<Lease> byShardId) {
        if (scope.stream() == null) {
            return byShardId;
        }
        return byShardId.stream().map(l -> scope.rekeyed(l, scope.key(l.leaseKey()))).toList();
    }

    /**
     * Writes the leases concurrently, each only after its parents' writes succeeded (a worker must never see a
     * child without the parent that gates it); a failed write leaves its descendants to the next sync.
     */
    private List<Lease> create(List<Lease> parentsFirst, Supplier<String> owners, Set<String> tried,
            BooleanSupplier stillLeading) {
        Map<String, CompletableFuture<Boolean>> writes = new HashMap<>();
        Map<String, Lease> owned = new HashMap<>();
        // in chunks: a worker that finds it is not the only one creating can stop after one chunk, and thousands of
        // writes are not all queued in the client at once
        for (int from = 0; from < parentsFirst.size(); from += CREATE_CHUNK) {
            List<CompletableFuture<Boolean>> chunk = new ArrayList<>();
            for (Lease unowned : parentsFirst.subList(from, Math.min(parentsFirst.size(), from + CREATE_CHUNK))) {
                Lease lease = withOwner(unowned, owners.get());
                owned.put(lease.leaseKey(), lease);
                tried.add(lease.leaseKey());
                CompletableFuture<?>[] parents = lease.parentShardIds().stream()
                        .map(p -> writes.get(StreamKey.siblingKey(lease.leaseKey(), p)))
                        .filter(Objects::nonNull).toArray(CompletableFuture<?>[]::new);
                CompletableFuture<Boolean> write = CompletableFuture.allOf(parents)
                        .thenCompose(v -> table.createIfAbsent(lease)).whenComplete((ok, e) -> {
                            if (e == null && ok) {
                                log.info("Created lease for shard {} at {} (parents {}), owned by {}",
                                        lease.leaseKey(), lease.checkpoint(), lease.parentShardIds(),
                                        lease.leaseOwner());
                            }
                        });
                writes.put(lease.leaseKey(), write);
                chunk.add(write);
            }
            CompletableFuture.allOf(chunk.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null).join();
            boolean othersCreate = chunk.stream().anyMatch(w -> !w.isCompletedExceptionally() && !w.join());
            if (othersCreate && from + CREATE_CHUNK < parentsFirst.size() && !stillLeading.getAsBoolean()) {
                log.info("Leases are being created by another worker, which leads: {} left to it",
                        parentsFirst.size() - from - CREATE_CHUNK);
                break;
            }
        }
        CompletableFuture.allOf(writes.values().toArray(new CompletableFuture<?>[0])).join();
        List<Lease> created = new ArrayList<>();
        writes.forEach((key, write) -> {
            if (write.join()) {
                created.add(owned.get(key));
            }
        });
        return created;
    }

    private static Lease withOwner(Lease l, String owner) {
        return new Lease(l.leaseKey(), owner, l.leaseCounter(), l.checkpoint(), l.ownerSwitchesSinceCheckpoint(),
                l.parentShardIds(), l.childShardIds(), l.startingHashKey(), l.endingHashKey(), l.checkpointOwner());
    }

    private void deleteFinished(Scope scope, List<Shard> shards, Map<String, Lease> leases) {
        Map<String, Lease> byShardId = new HashMap<>();
        leases.forEach((key, l) -> {
            if (scope.owns(key)) {
                String id = StreamKey.shardIdOf(key);
                byShardId.put(id, scope.rekeyed(l, id));
            }
        });
        List<String> deletable = Lineage.finishedLeasesToDelete(shards, byShardId).stream().map(scope::key).toList();
        deletableSince.keySet().removeIf(k -> scope.owns(k) && !deletable.contains(k));
        long now = time.nanoTime();
        for (String key : deletable) {
            long since = deletableSince.computeIfAbsent(key, k -> now);
            if (now - since < cleanupDelayNanos) {
                continue;
            }
            if (table.deleteCompleted(key).join()) {
                log.info("Deleted the lease of finished shard {}: its children have leases", key);
            }
            deletableSince.remove(key);
        }
    }

    /**
     * Creates leases for the children a closed shard reported, owned by {@code owner} (the worker that finished the
     * parent; balancing spreads them); they start at TRIM_HORIZON.
     */
    public void createChildLeases(List<ChildShard> children, String owner) {
        createChildLeases(null, children, owner);
    }

    /**
     * {@link #createChildLeases(List, String)} for the children of the shard of lease {@code parentKey} (its stream's
     * key prefix in multi-stream mode; null: single-stream).
     */
    public void createChildLeases(String parentKey, List<ChildShard> children, String owner) {
        List<CompletableFuture<Boolean>> writes = new ArrayList<>();
        for (ChildShard child : children) {
            String key = parentKey == null ? child.shardId() : StreamKey.siblingKey(parentKey, child.shardId());
            Lease lease = new Lease(key, owner, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
                    new HashSet<>(child.parentShards()), Set.of(), child.hashKeyRange().startingHashKey(),
                    child.hashKeyRange().endingHashKey(), null);
            writes.add(table.createIfAbsent(lease).whenComplete((ok, e) -> {
                if (e == null && ok) {
                    log.info("Created lease for child shard {} (parents {})", key, child.parentShards());
                }
            }));
        }
        CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).join();
    }

    /**
     * The stream's identity (ARN and creation time), from DescribeStreamSummary (single-stream mode). Fails
     * (ResourceNotFoundException, access denied, ...) when the stream cannot be read.
     */
    public StreamIdentity describeStream() {
        StreamDescriptionSummary s = AwsCalls.call("kinesis:DescribeStreamSummary", "stream " + streamName,
                DescribeStreamSummaryRequest.builder().streamName(streamName).build(),
                kinesis::describeStreamSummary).join().streamDescriptionSummary();
        return new StreamIdentity(s.streamARN(), s.streamCreationTimestamp());
    }

    /**
     * Every page of ListShards ({@link ShardLister}), each sent through {@link AwsCalls}. Multi-stream mode: null
     * when the stream is gone (ResourceNotFoundException), which then counts as removed.
     */
    private List<Shard> listShards(Scope scope) {
        try {
            return ShardLister.listAll(ListShardsRequest.builder().streamName(scope.streamName()).build(),
                    r -> AwsCalls.call("kinesis:ListShards", "stream " + scope.streamName(), r, kinesis::listShards))
                    .join();
        } catch (RuntimeException e) {
            if (scope.stream() != null && Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                streams.disappeared(scope.stream());
                return null;
            }
            throw e;
        }
    }
}
