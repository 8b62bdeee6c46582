package io.purekinesis.benchmarks;

import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisServiceClientConfiguration;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * The fleet simulation's Kinesis: streams of open shards and no records. ListShards and DescribeStreamSummary come
 * from testkit's {@link FakeKinesisClient} (one per stream, 1,000 shards per ListShards page as Kinesis), and
 * GetShardIterator / GetRecords answer an iterator and an empty page, which is all the lease protocol needs. Every
 * answer arrives on a shared thread after {@code latencyMillis}, so calls are in flight as they would be over a
 * network. Each worker gets its own {@link #client view}, which a simulated kill -9 cuts off.
 */
final class FleetKinesis {

    /** Kinesis returns at most 1,000 shards per ListShards call. */
    static final int LIST_SHARDS_PAGE = 1_000;
    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

    private final Map<String, FakeKinesisClient> streams = new LinkedHashMap<>();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    private final ExecutorService answers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "fleet-kinesis-answer");
        t.setDaemon(true);
        return t;
    });
    private final Executor delayed;

    FleetKinesis(Map<String, Integer> shardsPerStream, long latencyMillis) {
        shardsPerStream.forEach((name, count) -> {
            FakeKinesisClient stream = FakeKinesisClient.withShards(count);
            stream.listShardsPageSize(LIST_SHARDS_PAGE);
            stream.onlyStreams(name);
            streams.put(name, stream);
        });
        this.delayed = latencyMillis <= 0 ? answers
                : CompletableFuture.delayedExecutor(latencyMillis, TimeUnit.MILLISECONDS, answers);
    }

    List<Shard> shards(String stream) {
        return streams.get(stream).shards();
    }

    /**
     * Calls per operation so far (ListShards counts each page); ListShards and DescribeStreamSummary also per stream,
     * as {@code <operation>@<stream>}.
     */
    Map<String, Long> callCounts() {
        Map<String, Long> m = new java.util.TreeMap<>();
        calls.forEach((op, n) -> m.put(op, n.sum()));
        return m;
    }

    /** A worker's client; {@link WorkerClient#sever()} makes it answer nothing from then on. */
    WorkerClient client() {
        return new WorkerClient();
    }

    private <T> CompletableFuture<T> answer(String op, String stream, Supplier<CompletableFuture<T>> what) {
        calls.computeIfAbsent(op, k -> new LongAdder()).increment();
        if (stream != null) {
            calls.computeIfAbsent(op + "@" + stream, k -> new LongAdder()).increment();
        }
        return CompletableFuture.supplyAsync(what, delayed).thenCompose(f -> f);
    }

    private FakeKinesisClient stream(String name, String arn) {
        String n = name != null ? name : arn.substring(arn.lastIndexOf('/') + 1);
        FakeKinesisClient s = streams.get(n);
        if (s == null) {
            throw new IllegalArgumentException("no stream " + n + " in the simulation");
        }
        return s;
    }

    /** One worker's view of the streams. */
    final class WorkerClient implements KinesisAsyncClient {

        private volatile boolean severed;

        /** From now on every call stays unanswered, as for a process that died. */
        void sever() {
            severed = true;
        }

        private <T> CompletableFuture<T> call(String op, Supplier<CompletableFuture<T>> what) {
            return call(op, null, what);
        }

        private <T> CompletableFuture<T> call(String op, String stream, Supplier<CompletableFuture<T>> what) {
            return severed ? new CompletableFuture<>() : answer(op, stream, what);
        }

        @Override
        public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
            // a next page names no stream (as in Kinesis), so the token names it: "<stream>|<fake's token>"
            String token = request.nextToken();
            String name = token == null ? null : token.substring(0, token.indexOf('|'));
            FakeKinesisClient s = stream(token == null ? request.streamName() : name, request.streamARN());
            String stream = token == null ? (request.streamName() != null ? request.streamName()
                    : request.streamARN().substring(request.streamARN().lastIndexOf('/') + 1)) : name;
            ListShardsRequest forFake = token == null ? request
                    : request.toBuilder().nextToken(token.substring(token.indexOf('|') + 1)).build();
            return call("ListShards", stream, () -> s.listShards(forFake).thenApply(r -> r.nextToken() == null ? r
                    : r.toBuilder().nextToken(stream + "|" + r.nextToken()).build()));
        }

        @Override
        public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(
                DescribeStreamSummaryRequest request) {
            FakeKinesisClient s = stream(request.streamName(), request.streamARN());
            // the fake leaves out the creation time, which the consumer keeps as the stream's identity
            String name = request.streamName() != null ? request.streamName()
                    : request.streamARN().substring(request.streamARN().lastIndexOf('/') + 1);
            return call("DescribeStreamSummary", name, () -> s.describeStreamSummary(request).thenApply(r -> r.toBuilder()
                    .streamDescriptionSummary(r.streamDescriptionSummary().toBuilder()
                            .streamCreationTimestamp(CREATED).retentionPeriodHours(24).build()).build()));
        }

        @Override
        public CompletableFuture<GetShardIteratorResponse> getShardIterator(GetShardIteratorRequest request) {
            return call("GetShardIterator", () -> CompletableFuture.completedFuture(GetShardIteratorResponse.builder()
                    .shardIterator(request.streamName() + "/" + request.shardId()).build()));
        }

        @Override
        public CompletableFuture<GetRecordsResponse> getRecords(GetRecordsRequest request) {
            return call("GetRecords", () -> CompletableFuture.completedFuture(GetRecordsResponse.builder()
                    .records(List.of()).millisBehindLatest(0L).nextShardIterator(request.shardIterator()).build()));
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
            // shared by the simulation; nothing to release
        }
    }
}
