package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.testkit.LocalEndpoints;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ScalingType;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The resharding promise end to end: a producer writes continuously (aggregated, 200 keys, a sequence number per
 * key in every payload) while the stream is split, then merged, then scaled with UpdateShardCount, and two
 * workers consume throughout. Every acknowledged record is processed, each key in order, nothing twice, no child
 * shard before its parents ended, and the finished shards' leases are cleaned up.
 */
class ReshardEndToEndTest {

    /** The least time between two reshards, so the workers lag behind what the producer stored meanwhile. */
    private static final Duration PHASE = Duration.ofSeconds(6);
    /** Records the producer must have stored in each new shard before the next reshard: their children had data. */
    private static final int PER_NEW_SHARD = 100;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void splitMergeAndUpdateShardCountWhileProducingAndConsuming() throws Exception {
        LocalEndpoints endpoints = LocalEndpoints.shared();
        KinesisAsyncClient kinesis = endpoints.kinesisAsyncClient();
        Map<String, Long> shardEndedNanos = new ConcurrentHashMap<>();
        ConsumerMetrics metrics = new ConsumerMetrics() {
            @Override
            public void shardEnded(String shardId) {
                shardEndedNanos.put(shardId, System.nanoTime());
            }
        };
        // the workers lag about 2 s behind the producer (processing delay per batch), so a closed parent still has
        // records to deliver when its children appear: a child started too early would show
        try (Workload w = Workload.builder(endpoints).name("reshard").shards(2).keys(200).rate(400)
                .processingDelay(Duration.ofSeconds(2))
                .consumer(c -> c.metrics(metrics).shardSyncInterval(Duration.ofSeconds(2))
                        .completedLeaseCleanupDelay(Duration.ZERO))
                .build()) {
            w.startWorker("w1");
            w.startWorker("w2");
            w.startProducer();
            assertTrue(Workload.await(() -> w.ledger().deliveryCount() > 500, Duration.ofSeconds(60)),
                    "processing started");

            Shard first = openShards(kinesis, w.stream()).get(0);
            BigInteger start = new BigInteger(first.hashKeyRange().startingHashKey());
            BigInteger end = new BigInteger(first.hashKeyRange().endingHashKey());
            String middle = start.add(end).shiftRight(1).toString();
            Set<String> before = shardIds(kinesis, w.stream());
            kinesis.splitShard(b -> b.streamName(w.stream()).shardToSplit(first.shardId())
                    .newStartingHashKey(middle)).join();
            awaitActive(kinesis, w.stream());
            before = awaitPhase(w, kinesis, before);

            List<Shard> children = openShards(kinesis, w.stream()).stream()
                    .filter(s -> first.shardId().equals(s.parentShardId())).collect(Collectors.toList());
            assertEquals(2, children.size(), "the split's children");
            kinesis.mergeShards(b -> b.streamName(w.stream()).shardToMerge(children.get(0).shardId())
                    .adjacentShardToMerge(children.get(1).shardId())).join();
            awaitActive(kinesis, w.stream());
            before = awaitPhase(w, kinesis, before);

            kinesis.updateShardCount(b -> b.streamName(w.stream()).targetShardCount(4)
                    .scalingType(ScalingType.UNIFORM_SCALING)).join();
            awaitActive(kinesis, w.stream());
            awaitPhase(w, kinesis, before);

            w.stopProducer();
            assertTrue(w.awaitAllProcessed(Duration.ofSeconds(180)),
                    w.ledger().acknowledgedNotProcessed() + " acknowledged records not processed");

            List<Shard> all = kinesis.listShards(b -> b.streamName(w.stream())).join().shards();
            Set<String> open = openShards(kinesis, w.stream()).stream().map(Shard::shardId)
                    .collect(Collectors.toCollection(TreeSet::new));
            DynamoDbAsyncClient dynamo = endpoints.dynamoDbAsyncClient();
            assertTrue(Workload.await(() -> leaseKeys(dynamo, w.application()).equals(open), Duration.ofSeconds(60)),
                    "only open shards keep leases: " + leaseKeys(dynamo, w.application()) + " vs " + open);

            Reconciliation r = w.finish(Duration.ofSeconds(30));
            List<String> lineageViolations = lineageViolations(all, w.ledger().firstDeliveryNanos(),
                    shardEndedNanos);
            Map<String, Long> perShard = new TreeMap<>(w.ledger().deliveriesPerShard());
            System.out.printf("RESHARD shards=%d (open %d) ended=%d perShardDeliveries=%s lineageViolations=%d%n",
                    all.size(), open.size(), shardEndedNanos.size(), perShard, lineageViolations.size());
            assertEquals(List.of(), r.problems(false, false));
            assertEquals(List.of(), lineageViolations);
            assertEquals(all.size() - open.size(), shardEndedNanos.size(), "every closed shard was ended");
            assertTrue(all.size() >= 2 + 2 + 1 + 4, "split, merge and scaling all happened: " + all.size());
        }
    }

    /**
     * A child whose first record was delivered before a parent's SHARD_END was reported. The report comes right
     * after the parent's SHARD_END checkpoint is written, and a child cannot start before that write, so in a
     * correct run the child's first delivery is always later.
     */
    private static List<String> lineageViolations(List<Shard> shards, Map<String, Long> firstDelivery,
            Map<String, Long> ended) {
        List<String> out = new ArrayList<>();
        for (Shard s : shards) {
            Long childStart = firstDelivery.get(s.shardId());
            if (childStart == null) {
                continue;
            }
            for (String parent : new String[] {s.parentShardId(), s.adjacentParentShardId()}) {
                if (parent == null) {
                    continue;
                }
                Long parentEnd = ended.get(parent);
                if (parentEnd == null || parentEnd > childStart) {
                    out.add(s.shardId() + " delivered before its parent " + parent + " ended");
                }
            }
        }
        return out;
    }

    /**
     * Lets a reshard's phase run: at least {@link #PHASE}, and until the producer stored {@link #PER_NEW_SHARD}
     * records in each shard the reshard created (a busy machine produces more slowly; the phase then lasts longer
     * instead of covering less). @return every shard id of the stream now
     */
    private static Set<String> awaitPhase(Workload w, KinesisAsyncClient kinesis, Set<String> before)
            throws InterruptedException {
        long start = System.nanoTime();
        Set<String> now = shardIds(kinesis, w.stream());
        Set<String> created = new TreeSet<>(now);
        created.removeAll(before);
        assertTrue(!created.isEmpty(), "the reshard created no shard: " + now);
        assertTrue(Workload.await(() -> created.stream().allMatch(s -> w.ledger().acknowledgedIn(s) >= PER_NEW_SHARD),
                Duration.ofSeconds(120)), "records stored in the new shards " + created + ": "
                + created.stream().map(s -> s + "=" + w.ledger().acknowledgedIn(s)).toList());
        long left = PHASE.toMillis() - (System.nanoTime() - start) / 1_000_000;
        if (left > 0) {
            Thread.sleep(left); // pacing only: the workers fall behind the producer; nothing is asserted about it
        }
        return now;
    }

    private static Set<String> shardIds(KinesisAsyncClient kinesis, String stream) {
        return kinesis.listShards(b -> b.streamName(stream)).join().shards().stream().map(Shard::shardId)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<Shard> openShards(KinesisAsyncClient kinesis, String stream) {
        return kinesis.listShards(b -> b.streamName(stream)).join().shards().stream()
                .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).collect(Collectors.toList());
    }

    private static void awaitActive(KinesisAsyncClient kinesis, String stream) {
        assertTrue(Workload.await(() -> kinesis.describeStreamSummary(b -> b.streamName(stream)).join()
                .streamDescriptionSummary().streamStatus() == StreamStatus.ACTIVE, Duration.ofSeconds(60)),
                "stream active again");
    }

    private static Set<String> leaseKeys(DynamoDbAsyncClient dynamo, String table) {
        return dynamo.scan(b -> b.tableName(table).consistentRead(true)).join().items().stream()
                .map(item -> item.get("leaseKey").s()).collect(Collectors.toCollection(TreeSet::new));
    }
}
