package io.purekinesis.consumer.internal.shardsync;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseScan;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.StreamIdentity;
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
    private final String resource;
    private final LeaseTable table;
    private final InitialPosition initialPosition;
    private final long cleanupDelayNanos;
    private final Time time;
    /** Finished leases found deletable, with when that was first seen; touched by one sync at a time. */
    private final Map<String, Long> deletableSince = new HashMap<>();

    /** @param time measures how long a finished lease has been deletable */
    public ShardSyncer(KinesisAsyncClient kinesis, String streamName, LeaseTable table,
            InitialPosition initialPosition, Duration cleanupDelay, Time time) {
        this.kinesis = kinesis;
        this.streamName = streamName;
        this.resource = "stream " + streamName;
        this.table = table;
        this.initialPosition = initialPosition;
        this.cleanupDelayNanos = cleanupDelay.toNanos();
        this.time = time;
    }

    /**
     * Lists the stream's shards (paginated), creates missing leases (parents first), each owned by the worker
     * {@code owners} names, then deletes finished leases that have been deletable for the clean-up delay.
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
     * scan's, unusable rows', and those it created or found created by someone else): what the next
     * {@link #syncKnown} judges "missing" by.
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
        List<Shard> shards = listShards();
        Map<String, Lease> existing = new HashMap<>();
        for (Lease lease : scan.leases()) {
            existing.put(lease.leaseKey(), lease);
        }
        Set<String> existingKeys = new HashSet<>(existing.keySet());
        existingKeys.addAll(scan.unusableKeys());
        List<Lease> toCreate = Lineage.leasesToCreate(shards, existingKeys, initialPosition);
        Set<String> tried = new HashSet<>();
        List<Lease> created = create(toCreate, owners, tried, stillLeading);
        known.addAll(existingKeys);
        known.addAll(tried); // created now, or by someone else before
        if (created.size() < toCreate.size()) {
            existing.clear(); // someone else wrote some of them: read what is really there before deleting
            for (Lease lease : table.scanAll().join()) {
                existing.put(lease.leaseKey(), lease);
            }
        } else {
            created.forEach(l -> existing.put(l.leaseKey(), l));
        }
        deleteFinished(shards, existing);
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
        List<Shard> shards = listShards();
        List<Lease> toCreate = Lineage.leasesToCreate(shards, knownKeys, initialPosition);
        Set<String> tried = new HashSet<>();
        List<Lease> created = create(toCreate, owners, tried, () -> true);
        knownKeys.addAll(tried);
        boolean closed = shards.stream().anyMatch(s -> s.sequenceNumberRange() != null
                && s.sequenceNumberRange().endingSequenceNumber() != null && knownKeys.contains(s.shardId()));
        return new KnownSync(created, closed);
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
                CompletableFuture<?>[] parents = lease.parentShardIds().stream().map(writes::get)
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

    private void deleteFinished(List<Shard> shards, Map<String, Lease> leases) {
        List<String> deletable = Lineage.finishedLeasesToDelete(shards, leases);
        deletableSince.keySet().retainAll(deletable);
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
        List<CompletableFuture<Boolean>> writes = new ArrayList<>();
        for (ChildShard child : children) {
            Lease lease = new Lease(child.shardId(), owner, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
                    new HashSet<>(child.parentShards()), Set.of(), child.hashKeyRange().startingHashKey(),
                    child.hashKeyRange().endingHashKey(), null);
            writes.add(table.createIfAbsent(lease).whenComplete((ok, e) -> {
                if (e == null && ok) {
                    log.info("Created lease for child shard {} (parents {})", child.shardId(), child.parentShards());
                }
            }));
        }
        CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).join();
    }

    /**
     * The stream's identity (ARN and creation time), from DescribeStreamSummary. Fails (ResourceNotFoundException,
     * access denied, ...) when the stream cannot be read.
     */
    public StreamIdentity describeStream() {
        StreamDescriptionSummary s = AwsCalls.call("kinesis:DescribeStreamSummary", resource,
                DescribeStreamSummaryRequest.builder().streamName(streamName).build(),
                kinesis::describeStreamSummary).join().streamDescriptionSummary();
        return new StreamIdentity(s.streamARN(), s.streamCreationTimestamp());
    }

    /** Every page of ListShards ({@link ShardLister}), each sent through {@link AwsCalls}. */
    private List<Shard> listShards() {
        return ShardLister.listAll(ListShardsRequest.builder().streamName(streamName).build(),
                r -> AwsCalls.call("kinesis:ListShards", resource, r, kinesis::listShards)).join();
    }
}
