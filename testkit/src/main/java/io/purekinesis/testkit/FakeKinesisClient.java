package io.purekinesis.testkit;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisServiceClientConfiguration;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.HashKeyRange;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.SequenceNumberRange;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * A scriptable in-memory Kinesis for unit tests that need no endpoint: ListShards (paged), DescribeStreamSummary
 * and PutRecords, routing each entry by its explicit hash key or the MD5 of its partition key, as Kinesis does. Each
 * PutRecords call takes the next scripted behaviour ({@link #thenFailEntries}, {@link #thenFailCall},
 * {@link #thenStall}, ...) or succeeds; every request is recorded. Hand it to a producer's configuration as its
 * client to test what an application does when Kinesis throttles some entries, fails a whole call or never answers.
 * Operations it does not script throw {@link UnsupportedOperationException}.
 */
public final class FakeKinesisClient implements KinesisAsyncClient {

    /** The largest hash key, 2^128 - 1. */
    private static final BigInteger MAX_HASH_KEY = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    /** A stored Kinesis record. */
    public record Stored(String shardId, String sequenceNumber, String partitionKey, String explicitHashKey,
            byte[] data) {
    }

    private final List<Shard> shards = new CopyOnWriteArrayList<>();
    private final Deque<Function<PutRecordsRequest, CompletableFuture<PutRecordsResponse>>> script =
            new ArrayDeque<>();
    private final List<PutRecordsRequest> putRequests = new CopyOnWriteArrayList<>();
    private final List<ListShardsRequest> listShardsRequests = new CopyOnWriteArrayList<>();
    private final List<Stored> stored = new CopyOnWriteArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private volatile int listShardsPageSize = 100;
    private volatile boolean streamExists = true;
    private volatile boolean closed;
    private final List<DescribeStreamSummaryRequest> describeRequests = new CopyOnWriteArrayList<>();
    /** When set, ListShards and DescribeStreamSummary fail with what it gives (null: answer normally). */
    private volatile Function<String, Throwable> loadFailure = name -> null;
    /** Only these stream names exist when set (null: every name exists while {@link #streamExists}). */
    private volatile java.util.Set<String> existing;
    private volatile String account = "123456789012";

    /** A stream of {@code count} shards splitting the hash key space evenly. */
    public static FakeKinesisClient withShards(int count) {
        FakeKinesisClient c = new FakeKinesisClient();
        BigInteger size = MAX_HASH_KEY.add(BigInteger.ONE).divide(BigInteger.valueOf(count));
        for (int i = 0; i < count; i++) {
            BigInteger start = size.multiply(BigInteger.valueOf(i));
            BigInteger end = i == count - 1 ? MAX_HASH_KEY : start.add(size).subtract(BigInteger.ONE);
            c.shards.add(shard(String.format("shardId-%012d", i), start, end, false));
        }
        return c;
    }

    /**
     * A shard model covering hash keys {@code start..end} (inclusive); a closed shard has an ending sequence
     * number, as after a split or merge.
     */
    public static Shard shard(String id, BigInteger start, BigInteger end, boolean closed) {
        return Shard.builder().shardId(id)
                .hashKeyRange(HashKeyRange.builder().startingHashKey(start.toString()).endingHashKey(end.toString())
                        .build())
                .sequenceNumberRange(SequenceNumberRange.builder().startingSequenceNumber("0")
                        .endingSequenceNumber(closed ? "9223372036854775807" : null).build())
                .build();
    }

    /** The shards ListShards answers with, in order; live (the list changes as shards are added or split). */
    public List<Shard> shards() {
        return shards;
    }

    /** Adds a shard to what ListShards answers and PutRecords routes to. */
    public void addShard(Shard shard) {
        shards.add(shard);
    }

    /** Closes the shard and opens two children splitting its range in half. */
    public synchronized void split(String shardId, String child1, String child2) {
        for (int i = 0; i < shards.size(); i++) {
            Shard s = shards.get(i);
            if (s.shardId().equals(shardId)) {
                BigInteger start = new BigInteger(s.hashKeyRange().startingHashKey());
                BigInteger end = new BigInteger(s.hashKeyRange().endingHashKey());
                BigInteger mid = start.add(end).shiftRight(1);
                shards.set(i, shard(shardId, start, end, true));
                shards.add(shard(child1, start, mid, false));
                shards.add(shard(child2, mid.add(BigInteger.ONE), end, false));
                return;
            }
        }
        throw new IllegalArgumentException(shardId);
    }

    /** Closes two adjacent shards and opens one child covering both ranges. */
    public synchronized void merge(String shardId, String adjacentShardId, String child) {
        BigInteger start = null;
        BigInteger end = null;
        int merged = 0;
        for (int i = 0; i < shards.size(); i++) {
            Shard s = shards.get(i);
            if (s.shardId().equals(shardId) || s.shardId().equals(adjacentShardId)) {
                BigInteger from = new BigInteger(s.hashKeyRange().startingHashKey());
                BigInteger to = new BigInteger(s.hashKeyRange().endingHashKey());
                start = start == null ? from : start.min(from);
                end = end == null ? to : end.max(to);
                shards.set(i, shard(s.shardId(), from, to, true));
                merged++;
            }
        }
        if (merged != 2) {
            throw new IllegalArgumentException(shardId + " / " + adjacentShardId);
        }
        shards.add(shard(child, start, end, false));
    }

    /** Shards per ListShards page (default 100): a smaller size makes callers follow {@code NextToken}. */
    public void listShardsPageSize(int size) {
        listShardsPageSize = size;
    }

    /** With {@code false}, every stream is missing: ResourceNotFoundException for all calls. Default true. */
    public void streamExists(boolean exists) {
        streamExists = exists;
    }

    /** Only these stream names exist (ListShards, DescribeStreamSummary and PutRecords of others: not found). */
    public void onlyStreams(String... names) {
        existing = java.util.Set.of(names);
    }

    /** ListShards and DescribeStreamSummary of a stream fail with what {@code failure} gives for its name. */
    public void loadFailure(Function<String, Throwable> failure) {
        loadFailure = failure;
    }

    /** The account of the streams' ARNs. Default 123456789012. */
    public void account(String value) {
        account = value;
    }

    /** Every DescribeStreamSummary request received, in order. */
    public List<DescribeStreamSummaryRequest> describeRequests() {
        return describeRequests;
    }

    private boolean exists(String name) {
        java.util.Set<String> only = existing;
        return streamExists && (only == null || name == null || only.contains(name));
    }

    private static String nameOf(String name, String arn) {
        return name != null ? name : arn == null ? null : arn.substring(arn.lastIndexOf('/') + 1);
    }

    private static RuntimeException notFound(String name) {
        return ResourceNotFoundException.builder().message("Stream " + name + " not found")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("ResourceNotFoundException")
                        .errorMessage("Stream " + name + " under account 123456789012 not found.").build())
                .statusCode(400).build();
    }

    /** The next PutRecords call behaves like this. */
    public synchronized FakeKinesisClient then(Function<PutRecordsRequest, CompletableFuture<PutRecordsResponse>> b) {
        script.addLast(b);
        return this;
    }

    /** The next call stores every entry except those at {@code failedIndexes}, which get {@code errorCode}. */
    public FakeKinesisClient thenFailEntries(String errorCode, int... failedIndexes) {
        return then(request -> CompletableFuture.completedFuture(respond(request, i -> {
            for (int f : failedIndexes) {
                if (f == i) {
                    return errorCode;
                }
            }
            return null;
        })));
    }

    /** The next call answers with per-entry error codes chosen by {@code codeForIndex} (null = stored). */
    public FakeKinesisClient thenEntryErrors(Function<Integer, String> codeForIndex) {
        return then(request -> CompletableFuture.completedFuture(respond(request, codeForIndex)));
    }

    /** The next call fails as a whole with an AWS error of this code and HTTP status. */
    public FakeKinesisClient thenFailCall(String errorCode, int status) {
        return then(request -> CompletableFuture.failedFuture(serviceError(errorCode, status)));
    }

    /** The next call never completes. */
    public FakeKinesisClient thenStall() {
        return then(request -> new CompletableFuture<>());
    }

    /** Every call from now on never completes. */
    public void stallForever() {
        for (int i = 0; i < 10_000; i++) {
            thenStall();
        }
    }

    /** An AWS service error as the SDK raises it, with this error code and HTTP status. */
    public static AwsServiceException serviceError(String errorCode, int status) {
        return AwsServiceException.builder().statusCode(status).message(errorCode + " (fake)")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(errorCode).errorMessage(errorCode + " (fake)")
                        .build())
                .build();
    }

    /** Every PutRecords request received, in order, whatever the scripted answer. */
    public List<PutRecordsRequest> putRequests() {
        return putRequests;
    }

    /** Every ListShards request received, in order (one per page). */
    public List<ListShardsRequest> listShardsRequests() {
        return listShardsRequests;
    }

    /** The records stored by successful entries, in the order they were stored. */
    public List<Stored> stored() {
        return stored;
    }

    /** Whether {@link #close()} was called: a producer must not close a client it was given. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public CompletableFuture<PutRecordsResponse> putRecords(PutRecordsRequest request) {
        putRequests.add(request);
        Function<PutRecordsRequest, CompletableFuture<PutRecordsResponse>> behaviour;
        synchronized (this) {
            behaviour = script.pollFirst();
        }
        if (behaviour != null) {
            return behaviour.apply(request);
        }
        if (!exists(nameOf(request.streamName(), request.streamARN()))) {
            return CompletableFuture.failedFuture(notFound(request.streamName()));
        }
        return CompletableFuture.completedFuture(respond(request, i -> null));
    }

    /** Stores the entries whose code is null, routed like Kinesis; answers the others with their code. */
    public PutRecordsResponse respond(PutRecordsRequest request, Function<Integer, String> codeForIndex) {
        List<PutRecordsResultEntry> results = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < request.records().size(); i++) {
            PutRecordsRequestEntry e = request.records().get(i);
            String code = codeForIndex.apply(i);
            if (code != null) {
                failed++;
                results.add(PutRecordsResultEntry.builder().errorCode(code).errorMessage(code + " for entry " + i)
                        .build());
                continue;
            }
            BigInteger hash = e.explicitHashKey() != null ? new BigInteger(e.explicitHashKey())
                    : partitionKeyHash(e.partitionKey());
            String shardId = route(hash);
            String seq = String.format("%056d", sequence.incrementAndGet());
            stored.add(new Stored(shardId, seq, e.partitionKey(), e.explicitHashKey(), e.data().asByteArray()));
            results.add(PutRecordsResultEntry.builder().shardId(shardId).sequenceNumber(seq).build());
        }
        return PutRecordsResponse.builder().failedRecordCount(failed).records(results).build();
    }

    /** The hash key Kinesis derives from a partition key: its UTF-8 bytes' MD5 as an unsigned 128-bit number. */
    private static BigInteger partitionKeyHash(String partitionKey) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(partitionKey.getBytes(StandardCharsets.UTF_8));
            return new BigInteger(1, digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every Java platform", e);
        }
    }

    private String route(BigInteger hash) {
        for (Shard s : shards) {
            if (s.sequenceNumberRange().endingSequenceNumber() == null
                    && new BigInteger(s.hashKeyRange().startingHashKey()).compareTo(hash) <= 0
                    && new BigInteger(s.hashKeyRange().endingHashKey()).compareTo(hash) >= 0) {
                return s.shardId();
            }
        }
        throw new IllegalStateException("no open shard for " + hash);
    }

    @Override
    public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
        listShardsRequests.add(request);
        String name = nameOf(request.streamName(), request.streamARN());
        Throwable failure = name == null ? null : loadFailure.apply(name);
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (request.nextToken() == null && !exists(name)) {
            return CompletableFuture.failedFuture(notFound(name));
        }
        if (request.nextToken() != null && request.streamName() != null) {
            return CompletableFuture.failedFuture(serviceError("InvalidArgumentException", 400));
        }
        int from = request.nextToken() == null ? 0 : Integer.parseInt(request.nextToken());
        List<Shard> all = List.copyOf(shards);
        int to = Math.min(all.size(), from + listShardsPageSize);
        return CompletableFuture.completedFuture(ListShardsResponse.builder().shards(all.subList(from, to))
                .nextToken(to < all.size() ? Integer.toString(to) : null).build());
    }

    @Override
    public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(
            DescribeStreamSummaryRequest request) {
        describeRequests.add(request);
        String name = nameOf(request.streamName(), request.streamARN());
        Throwable failure = loadFailure.apply(name);
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (!exists(name)) {
            return CompletableFuture.failedFuture(notFound(name));
        }
        return CompletableFuture.completedFuture(DescribeStreamSummaryResponse.builder().streamDescriptionSummary(
                StreamDescriptionSummary.builder().streamName(name)
                        .streamARN("arn:aws:kinesis:us-east-1:" + account + ":stream/" + name)
                        .streamStatus(StreamStatus.ACTIVE).openShardCount(shards.size()).build()).build());
    }

    @Override
    public KinesisServiceClientConfiguration serviceClientConfiguration() {
        return KinesisServiceClientConfiguration.builder().region(Region.US_EAST_1).build();
    }

    @Override
    public String serviceName() {
        return "kinesis";
    }

    @Override
    public void close() {
        closed = true;
    }
}
