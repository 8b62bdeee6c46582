package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * A worker joins a running group: it gets its fair share (every worker within one lease of the others) on its first
 * poll, by graceful handoff; the split then stays put (no thrashing), and no record is lost or delivered twice,
 * although records keep arriving during the handoffs.
 */
@ExtendWith(LocalEndpointsExtension.class)
class WorkerJoinIntegrationTest {

    private static final int SHARDS = 8;
    private static final int PER_SHARD = 40;
    private static final Duration FAILOVER = Duration.ofSeconds(6);

    private static ConsumerMetrics countingStealsAndScans(AtomicInteger steals, AtomicInteger scans) {
        return new ConsumerMetrics() {
            @Override
            public void leaseStolen(String shardId, String fromWorker) {
                steals.incrementAndGet();
            }

            @Override
            public void leasesHeld(int leases) {
                scans.incrementAndGet();
            }
        };
    }

    @Test
    void joiningWorkerGetsItsFairShareWithinAFewRenewalIntervalsWithoutDuplicates(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("join");
        Streams.createStream(kinesis, stream, SHARDS);
        Set<String> expected = IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-join");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        AtomicInteger steals = new AtomicInteger();
        // per worker: each heartbeat answered ends with a leasesHeld report
        AtomicInteger w1Scans = new AtomicInteger();
        AtomicInteger w2Scans = new AtomicInteger();
        // a longer failover time than the other tests: on a loaded machine a late renewal must not let a lease
        // expire and move, which the no-thrashing check below would take for the balancer moving it
        KinesisConsumer w1 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w1")
                .failoverTime(FAILOVER).metrics(countingStealsAndScans(steals, w1Scans)).build(),
                recorder.factory("w1"));
        KinesisConsumer w2 = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w2")
                .failoverTime(FAILOVER).metrics(countingStealsAndScans(steals, w2Scans)).build(),
                recorder.factory("w2"));
        Duration renewal = w2.config().heartbeatInterval();
        try {
            w1.start();
            await("w1 alone processes every shard", Duration.ofSeconds(60),
                    () -> w1.activeShards().size() == SHARDS && recorder.distinct() == expected.size());

            w2.start();
            long joined = System.nanoTime();
            // records keep arriving while the leases move
            List<PutRecordsRequestEntry> more = new ArrayList<>();
            for (Shard shard : IntegrationSupport.shards(kinesis, stream)) {
                for (int i = 0; i < PER_SHARD; i++) {
                    String data = shard.shardId() + "#late" + i;
                    expected.add(data);
                    more.add(PutRecordsRequestEntry.builder().partitionKey("late-" + i)
                            .explicitHashKey(shard.hashKeyRange().startingHashKey())
                            .data(SdkBytes.fromString(data, StandardCharsets.UTF_8)).build());
                }
            }
            IntegrationSupport.putAll(kinesis, stream, more);

            // fair share: w2's first poll (at once) pulls its share by graceful handoff, w1 learns it from its next
            // heartbeat, its processors checkpoint and let go, and w2 learns that from its next heartbeat: a few
            // heartbeat intervals; the bound leaves room for a loaded build machine
            await("w2 holds its fair share", renewal.multipliedBy(20),
                    () -> w1.activeShards().size() == SHARDS / 2 && w2.activeShards().size() == SHARDS / 2);
            long tookMillis = (System.nanoTime() - joined) / 1_000_000;
            System.out.printf("joining worker balanced in %d ms (renewal interval %d ms, %d steals)%n", tookMillis,
                    renewal.toMillis(), steals.get());
            int stealsWhenFair = steals.get();
            assertTrue(stealsWhenFair <= SHARDS / 2, "w2 stole more than its share: " + stealsWhenFair);

            await("every record processed", Duration.ofSeconds(60), () -> recorder.distinct() == expected.size());
            // no thrashing: after four more heartbeats of each worker (two more monitor rounds) nothing moved back
            // and forth (the fifth to end may have begun before the split was read below)
            Set<String> w1Shards = w1.activeShards();
            Set<String> w2Shards = w2.activeShards();
            int w1From = w1Scans.get();
            int w2From = w2Scans.get();
            await("four more heartbeats of each worker", renewal.multipliedBy(30),
                    () -> w1Scans.get() >= w1From + 5 && w2Scans.get() >= w2From + 5);
            assertEquals(stealsWhenFair, steals.get(), "leases moved again after the split was fair");
            assertEquals(w1Shards, w1.activeShards());
            assertEquals(w2Shards, w2.activeShards());

            assertEquals(expected, recorder.deliveries.keySet());
            assertEquals(List.of(), recorder.duplicates(), "handoffs delivered records twice");
            assertEquals(List.of(), recorder.sameInstanceDuplicates);
        } finally {
            CompletableFuture.allOf(w1.shutdown(), w2.shutdown()).get(60, TimeUnit.SECONDS);
        }
        assertTrue(w1.heldLeases().isEmpty() && w2.heldLeases().isEmpty());
    }
}
