package io.purekinesis.consumer.internal.shardsync;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Creates a lease for every shard that has none (conditional put, so racing workers are harmless), with its
 * parents and hash range. On a fresh table every shard starts at the initial position; shards found later whose
 * parent has a lease start at TRIM_HORIZON (the parent's SHARD_END gates them, so nothing is lost or skipped).
 */
public final class ShardSyncer {

    private static final Logger log = LoggerFactory.getLogger(ShardSyncer.class);

    private final KinesisAsyncClient kinesis;
    private final String streamName;
    private final LeaseTable table;
    private final InitialPosition initialPosition;

    public ShardSyncer(KinesisAsyncClient kinesis, String streamName, LeaseTable table,
            InitialPosition initialPosition) {
        this.kinesis = kinesis;
        this.streamName = streamName;
        this.table = table;
        this.initialPosition = initialPosition;
    }

    /** Lists the stream's shards (paginated) and creates missing leases; returns how many were created. */
    public int sync() {
        List<Shard> shards = listShards();
        Set<String> existing = table.scanAll().join().stream().map(Lease::leaseKey).collect(Collectors.toSet());
        boolean fresh = existing.isEmpty();
        int created = 0;
        for (Shard shard : shards) {
            if (existing.contains(shard.shardId())) {
                continue;
            }
            Set<String> parents = parents(shard.parentShardId(), shard.adjacentParentShardId());
            boolean parentLeased = parents.stream().anyMatch(existing::contains);
            ExtendedSequenceNumber start = fresh || !parentLeased ? initialPosition.sentinel()
                    : ExtendedSequenceNumber.TRIM_HORIZON;
            Lease lease = new Lease(shard.shardId(), null, 0, start, 0, parents, Set.of(),
                    shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey(), null);
            if (table.createIfAbsent(lease).join()) {
                created++;
                existing.add(shard.shardId());
                log.info("Created lease for shard {} at {} (parents {})", shard.shardId(), start, parents);
            }
        }
        return created;
    }

    /** Creates leases for the children a closed shard reported; they start at TRIM_HORIZON. */
    public void createChildLeases(List<ChildShard> children) {
        List<CompletableFuture<Boolean>> writes = new ArrayList<>();
        for (ChildShard child : children) {
            Lease lease = new Lease(child.shardId(), null, 0, ExtendedSequenceNumber.TRIM_HORIZON, 0,
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

    private List<Shard> listShards() {
        List<Shard> out = new ArrayList<>();
        String token = null;
        do {
            ListShardsRequest request = token == null ? ListShardsRequest.builder().streamName(streamName).build()
                    : ListShardsRequest.builder().nextToken(token).build();
            ListShardsResponse r = kinesis.listShards(request).join();
            out.addAll(r.shards());
            token = r.nextToken();
        } while (token != null);
        return out;
    }

    private static Set<String> parents(String parent, String adjacentParent) {
        Set<String> out = new LinkedHashSet<>();
        if (parent != null) {
            out.add(parent);
        }
        if (adjacentParent != null) {
            out.add(adjacentParent);
        }
        return out;
    }
}
