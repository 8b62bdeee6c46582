package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.lease.Lease;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.WorkerTable;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * A processor that is still stuck in processRecords after its lease went away (a peer took it with a handoff and
 * forced the handoff's end) must never write a checkpoint again, even when its worker later owns the lease
 * again and a new processor has checkpointed further: the stale one would move the checkpoint backwards.
 */
@ExtendWith(LocalEndpointsExtension.class)
class StaleProcessorIntegrationTest {

    private static final int RECORDS = 20;

    @Test
    void aStuckProcessorOfAnEarlierLeaseCannotMoveTheCheckpointBackwards(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("stale");
        Streams.createStream(kinesis, stream, 1);
        IntegrationSupport.fill(kinesis, stream, RECORDS);
        String app = Streams.uniqueStreamName("app-stale");
        String shard = IntegrationSupport.shards(kinesis, stream).get(0).shardId();
        LeaseTable table = new LeaseTable(dynamo, app);

        CountDownLatch firstBlocked = new CountDownLatch(1);
        CountDownLatch unblockFirst = new CountDownLatch(1);
        AtomicInteger instances = new AtomicInteger();
        AtomicReference<String> lastRecordSeen = new AtomicReference<>();
        AtomicInteger secondSaw = new AtomicInteger();
        List<String> firstInstanceEnd = new CopyOnWriteArrayList<>();
        // counted down when the first instance's last callback returns: its checkpoint calls block until written
        // (or refused), so from then on it can write nothing more
        CountDownLatch firstInstanceEnded = new CountDownLatch(1);
        RecordProcessorFactory factory = () -> {
            boolean first = instances.incrementAndGet() == 1;
            return new RecordProcessor() {
                @Override
                public void initialize(InitializationInput input) {
                }

                @Override
                public void processRecords(ProcessRecordsInput input) {
                    if (first) {
                        firstBlocked.countDown();
                        try {
                            unblockFirst.await(); // stuck, e.g. on a slow downstream system
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return;
                    }
                    List<KinesisUserRecord> records = input.records();
                    input.checkpointer().checkpoint();
                    lastRecordSeen.set(records.get(records.size() - 1).sequenceNumber());
                    secondSaw.addAndGet(records.size());
                }

                @Override
                public void leaseLost() {
                    if (first) {
                        firstInstanceEnd.add("leaseLost");
                        firstInstanceEnded.countDown();
                    }
                }

                @Override
                public void shardEnded(Checkpointer checkpointer) {
                    checkpointer.checkpoint();
                }

                @Override
                public void shutdownRequested(Checkpointer checkpointer) {
                    if (first) {
                        firstInstanceEnd.add("shutdownRequested");
                    }
                    try {
                        checkpointer.checkpoint();
                    } catch (LeaseLostException e) {
                        if (first) {
                            firstInstanceEnd.add("refused");
                        }
                    } finally {
                        if (first) {
                            firstInstanceEnded.countDown();
                        }
                    }
                }
            };
        };
        KinesisConsumer w = new KinesisConsumer(config(endpoints, kinesis, dynamo, app, stream, "w").maxRecords(5)
                .build(), factory);
        try {
            w.start();
            assertTrue(firstBlocked.await(60, TimeUnit.SECONDS), "first processor never got records");

            // peer B, a live worker of the fleet, takes the lease with a handoff and tells w, which asks its
            // processor to hand off
            WorkerTable workers = new WorkerTable(dynamo, app + ConsumerConfig.WORKER_TABLE_SUFFIX, app);
            java.util.concurrent.atomic.AtomicBoolean bAlive = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread bBeats = new Thread(() -> { // B's heartbeat, so w does not declare it dead
                while (bAlive.get()) {
                    workers.heartbeat("B", System.currentTimeMillis(), 1, false).join();
                    try {
                        // real endpoint: a live peer beating on the local DynamoDB every 300 ms of real time,
                        // which the worker under test (on real time too) sees as alive
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            bBeats.start();
            assertTrue(table.startHandoff(shard, "w", "B").join());
            assertTrue(workers.assigned("w", -1).join());
            await("w noticed the handoff", Duration.ofSeconds(30), () -> w.heldLeases().isEmpty());
            assertEquals("w", table.get(shard).join().orElseThrow().checkpointOwner(), "still a pending handoff");
            // w's processor stays stuck; B gives up waiting and ends the handoff itself, then B dies
            bAlive.set(false);
            bBeats.join();
            assertTrue(table.forceHandoff(shard, "B", "w").join());

            // w declares B dead and takes the shard again; a new processor reads it to the end
            await("second processor checkpointed every record", Duration.ofSeconds(60), () -> {
                String last = lastRecordSeen.get();
                Lease l = table.get(shard).join().orElseThrow();
                return secondSaw.get() == RECORDS && l.checkpoint().sequenceNumber().equals(last);
            });
            ExtendedSequenceNumber done = table.get(shard).join().orElseThrow().checkpoint();

            unblockFirst.countDown(); // the stale processor wakes up and tries to checkpoint its old batch
            assertTrue(firstInstanceEnded.await(60, TimeUnit.SECONDS), "stale processor ended");
            assertEquals(done, table.get(shard).join().orElseThrow().checkpoint(),
                    "the checkpoint moved backwards; the stale processor did: " + firstInstanceEnd);
            assertEquals("w", table.get(shard).join().orElseThrow().leaseOwner(), "w's lease was released");
            assertEquals(1, w.activeShards().size());
        } finally {
            unblockFirst.countDown();
            w.shutdown().get(60, TimeUnit.SECONDS);
        }
    }
}
