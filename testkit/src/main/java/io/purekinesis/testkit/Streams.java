package io.purekinesis.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Blocking stream chores for tests: create and wait, wait after a reshard, delete, read everything back.
 *
 * <p>Waits poll every 20 ms instead of using the SDK waiters, which sleep 10 s between polls. SDK errors are rethrown
 * as they are (not wrapped in CompletionException); a wait that runs out throws {@link IllegalStateException}.
 */
public final class Streams {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    private static final int MAX_NAME_LENGTH = 128;
    private static final AtomicLong COUNTER = new AtomicLong();

    private Streams() {
    }

    /** A record read back with the shard it came from. */
    public record ShardRecord(String shardId, Record record) {

        /** Throws NullPointerException if {@code shardId} or {@code record} is null. */
        public ShardRecord {
            Objects.requireNonNull(shardId, "shardId");
            Objects.requireNonNull(record, "record");
        }

        /** A copy of the record's data. */
        public byte[] data() {
            return record.data().asByteArray();
        }

        /** The record's partition key. */
        public String partitionKey() {
            return record.partitionKey();
        }

        /** The record's sequence number. */
        public String sequenceNumber() {
            return record.sequenceNumber();
        }
    }

    /**
     * A stream name unique in this JVM and very likely across JVMs, e.g. {@code orders-17-3f9a1c}. Characters Kinesis
     * refuses in names are replaced by '-', and the prefix is shortened to keep the name within 128 characters.
     */
    public static String uniqueStreamName(String prefix) {
        String suffix = "-" + COUNTER.incrementAndGet() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0x1000000));
        String clean = Objects.requireNonNull(prefix, "prefix").replaceAll("[^a-zA-Z0-9_.-]", "-");
        return clean.substring(0, Math.min(clean.length(), MAX_NAME_LENGTH - suffix.length())) + suffix;
    }

    /** Creates a provisioned stream and waits up to 30 s until it is ACTIVE. */
    public static StreamDescriptionSummary createStream(KinesisAsyncClient kinesis, String name, int shardCount) {
        return createStream(kinesis, name, shardCount, DEFAULT_TIMEOUT);
    }

    /** Creates a provisioned stream and waits until it is ACTIVE. */
    public static StreamDescriptionSummary createStream(KinesisAsyncClient kinesis, String name, int shardCount,
                                                        Duration timeout) {
        if (shardCount < 1) {
            throw new IllegalArgumentException("shardCount must be at least 1, was " + shardCount);
        }
        Futures.join(kinesis.createStream(b -> b.streamName(name).shardCount(shardCount)));
        return waitForActive(kinesis, name, timeout);
    }

    /** Waits until the stream is ACTIVE, e.g. after CreateStream, SplitShard, MergeShards or UpdateShardCount. */
    public static StreamDescriptionSummary waitForActive(KinesisAsyncClient kinesis, String name, Duration timeout) {
        long deadline = deadline(timeout);
        String lastSeen = "not found";
        while (true) {
            try {
                StreamDescriptionSummary summary = Futures.join(
                        kinesis.describeStreamSummary(b -> b.streamName(name))).streamDescriptionSummary();
                if (summary.streamStatus() == StreamStatus.ACTIVE) {
                    return summary;
                }
                lastSeen = summary.streamStatusAsString();
            } catch (ResourceNotFoundException | LimitExceededException e) {
                // Not visible yet, or too many describes in flight: both pass.
                lastSeen = e.getClass().getSimpleName();
            }
            String seen = lastSeen;
            checkDeadline(deadline, () -> "Stream " + name + " not ACTIVE after " + timeout.toMillis()
                    + " ms; last seen: " + seen);
            sleep(POLL_INTERVAL);
        }
    }

    /** Deletes the stream (and its consumers) and waits up to 30 s until it is gone; a missing stream is fine. */
    public static void deleteStream(KinesisAsyncClient kinesis, String name) {
        try {
            Futures.join(kinesis.deleteStream(b -> b.streamName(name).enforceConsumerDeletion(true)));
        } catch (ResourceNotFoundException alreadyGone) {
            return;
        }
        long deadline = deadline(DEFAULT_TIMEOUT);
        while (true) {
            try {
                Futures.join(kinesis.describeStreamSummary(b -> b.streamName(name)));
            } catch (ResourceNotFoundException gone) {
                return;
            }
            checkDeadline(deadline, () -> "Stream " + name + " still exists " + DEFAULT_TIMEOUT.toMillis()
                    + " ms after DeleteStream");
            sleep(POLL_INTERVAL);
        }
    }

    /** {@link #readAll(KinesisAsyncClient, String, Duration)} with a 30 s timeout. */
    public static List<ShardRecord> readAll(KinesisAsyncClient kinesis, String name) {
        return readAll(kinesis, name, DEFAULT_TIMEOUT);
    }

    /**
     * Reads every shard, open or closed, from TRIM_HORIZON until it is caught up: an empty page with
     * MillisBehindLatest 0, or the end of a closed shard. Shards come in ListShards order (parents before their
     * children), each shard's records in sequence order.
     */
    public static List<ShardRecord> readAll(KinesisAsyncClient kinesis, String name, Duration timeout) {
        long deadline = deadline(timeout);
        List<ShardRecord> records = new ArrayList<>();
        for (Shard shard : listShards(kinesis, name)) {
            readShard(kinesis, name, shard.shardId(), deadline, timeout, records);
        }
        return records;
    }

    private static void readShard(KinesisAsyncClient kinesis, String stream, String shardId, long deadline,
                                  Duration timeout, List<ShardRecord> into) {
        String iterator = Futures.join(kinesis.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON))).shardIterator();
        while (iterator != null) {
            String current = iterator;
            GetRecordsResponse page = Futures.join(kinesis.getRecords(b -> b.shardIterator(current)));
            page.records().forEach(r -> into.add(new ShardRecord(shardId, r)));
            boolean caughtUp = page.records().isEmpty() && Long.valueOf(0).equals(page.millisBehindLatest());
            if (caughtUp) {
                return;
            }
            iterator = page.nextShardIterator();
            checkDeadline(deadline, () -> "Reading stream " + stream + " took over " + timeout.toMillis()
                    + " ms; stuck in " + shardId + " after " + into.size() + " records");
            if (page.records().isEmpty()) {
                sleep(POLL_INTERVAL);
            }
        }
    }

    private static List<Shard> listShards(KinesisAsyncClient kinesis, String stream) {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = Futures.join(kinesis.listShards(b -> b.streamName(stream)));
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            // With a NextToken, AWS refuses a StreamName in the same request.
            ListShardsRequest next = ListShardsRequest.builder().nextToken(page.nextToken()).build();
            page = Futures.join(kinesis.listShards(next));
            shards.addAll(page.shards());
        }
        return shards;
    }

    private static long deadline(Duration timeout) {
        if (Objects.requireNonNull(timeout, "timeout").isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
        }
        return System.nanoTime() + timeout.toNanos();
    }

    private static void checkDeadline(long deadline, Supplier<String> message) {
        if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(message.get());
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
