package io.purekinesis.benchmarks;

import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordFailedException;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
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
 * A good stream's add-to-completion latency while thousands of distinct bad stream names are added (a typo in a
 * loop, a multi-tenant application naming deleted streams). Runs against an in-process fake Kinesis client that
 * answers on a timer thread after a simulated network latency: ListShards / DescribeStreamSummary of the good
 * stream list its shards, of any other name answer ResourceNotFoundException; PutRecords stores everything. So
 * the figures are the producer's own cost (sender loop, per-stream state, shard-map loads), not a server's.
 *
 * <p>Phases: {@code --phase-seconds S} [5] of the good stream alone (baseline), then the same time while
 * {@code --bad-names N} [10,000] distinct bad names get one record each, spread evenly over the phase's first
 * {@code --bad-spread-ms} [500] (a loop with a typo), then the
 * same time after. The good stream gets {@code --rate R} [2,000] records/s from one thread throughout. Prints per
 * phase p50/p99/max of the good stream's latency, then the calls the fake saw, how the bad records ended, and
 * the heap after a GC. Options also: {@code --list-latency-ms} [20], {@code --put-latency-ms} [5],
 * {@code --shards} [4], {@code --max-buffered-ms} [producer default], {@code --connections} [50: calls beyond it
 * wait for a free connection in FIFO order, as with the SDK's Netty client the producer builds].
 *
 * <p>Run: {@code MAIN=io.purekinesis.benchmarks.BadStreamsBenchmark benchmarks/run.sh} (build as for
 * {@link ProducerBenchmark}; {@code PRODUCER_JARS=dir} runs it with another producer build).
 */
public final class BadStreamsBenchmark {

    private static final String GOOD = "good-stream";

    private BadStreamsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int phaseSeconds = 5;
        int badNames = 10_000;
        int rate = 2_000;
        long listLatency = 20;
        long putLatency = 5;
        int shards = 4;
        long maxBufferedMs = -1;
        int connections = 50;
        long badSpreadMillis = 500;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--phase-seconds" -> phaseSeconds = Integer.parseInt(v);
                case "--bad-names" -> badNames = Integer.parseInt(v);
                case "--rate" -> rate = Integer.parseInt(v);
                case "--list-latency-ms" -> listLatency = Long.parseLong(v);
                case "--put-latency-ms" -> putLatency = Long.parseLong(v);
                case "--shards" -> shards = Integer.parseInt(v);
                case "--max-buffered-ms" -> maxBufferedMs = Long.parseLong(v);
                case "--connections" -> connections = Integer.parseInt(v);
                case "--bad-spread-ms" -> badSpreadMillis = Long.parseLong(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        long badSpreadNanos = TimeUnit.MILLISECONDS.toNanos(badSpreadMillis);
        FakeKinesis fake = new FakeKinesis(shards, listLatency, putLatency, connections);
        LongAdder badFailedFuture = new LongAdder();
        Map<String, LongAdder> badReasons = new ConcurrentHashMap<>();
        List<CompletableFuture<?>> badFutures = Collections.synchronizedList(new ArrayList<>());
        LongAdder badRefusedAtAdd = new LongAdder();
        LongAdder badStored = new LongAdder();
        LongAdder goodFailed = new LongAdder();
        ProducerConfig.Builder config = ProducerConfig.builder().kinesisClient(fake).producerName("bad-streams")
                .deadLetterHandler(r -> { });
        if (maxBufferedMs >= 0) {
            config.recordMaxBufferedTime(Duration.ofMillis(maxBufferedMs));
        }
        System.out.printf(Locale.ROOT, "bad-streams: %d s per phase, %,d bad names over %d ms, good stream %,d "
                + "records/s, %d shards, ListShards latency %d ms, PutRecords latency %d ms, %d connections, "
                + "%d cores%n",
                phaseSeconds, badNames, badSpreadMillis, rate, shards, listLatency, putLatency, connections,
                Runtime.getRuntime().availableProcessors());
        try (KinesisProducer producer = KinesisProducer.create(config.build())) {
            producer.add(GOOD, "warm", new byte[100]).get(30, TimeUnit.SECONDS);
            String[] phases = {"baseline", "bad names", "after"};
            for (int phase = 0; phase < phases.length; phase++) {
                long listBefore = fake.listShardsCalls.get() + fake.describeCalls.get();
                LatencyHistogram latency = new LatencyHistogram();
                List<CompletableFuture<?>> pending = new ArrayList<>();
                long start = System.nanoTime();
                long end = start + TimeUnit.SECONDS.toNanos(phaseSeconds);
                long goodSent = 0;
                int badSent = 0;
                int badTotal = phase == 1 ? badNames : 0;
                while (true) {
                    long now = System.nanoTime();
                    if (now >= end) {
                        break;
                    }
                    long due = (now - start) * rate / TimeUnit.SECONDS.toNanos(1);
                    for (; goodSent < due; goodSent++) {
                        long added = System.nanoTime();
                        pending.add(producer.add(GOOD, "k" + (goodSent % 1000), new byte[100]).whenComplete(
                                (r, e) -> {
                                    latency.record(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - added));
                                    if (e != null) {
                                        goodFailed.increment();
                                    }
                                }));
                    }
                    long badDue = badTotal == 0 ? 0
                            : Math.min(badTotal, (now - start) * badTotal / Math.max(1, badSpreadNanos));
                    for (; badSent < badDue; badSent++) {
                        try {
                            badFutures.add(producer.add(String.format("bad-stream-%06d", badSent), "k",
                                    new byte[100]).whenComplete((r, e) -> {
                                        (e == null ? badStored : badFailedFuture).increment();
                                        if (e instanceof RecordFailedException f) {
                                            badReasons.computeIfAbsent(f.reason().name(), k -> new LongAdder())
                                                    .increment();
                                        }
                                    }));
                        } catch (RuntimeException e) {
                            badRefusedAtAdd.increment();
                        }
                    }
                    Thread.sleep(1);
                }
                CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
                System.out.printf(Locale.ROOT, "%-9s good stream: %,d records, latency p50 %.1f ms, p99 %.1f ms, "
                        + "max %.1f ms; ListShards+DescribeStreamSummary calls %,d%n", phases[phase],
                        latency.count(), latency.valueAtQuantile(0.5) / 1000.0,
                        latency.valueAtQuantile(0.99) / 1000.0, latency.max() / 1000.0,
                        fake.listShardsCalls.get() + fake.describeCalls.get() - listBefore);
            }
            long waitStart = System.nanoTime();
            try {
                CompletableFuture.allOf(badFutures.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                // failures are expected: counted above
            }
            System.out.printf(Locale.ROOT, "every bad record ended %.1f s after the last phase; by reason: %s%n",
                    (System.nanoTime() - waitStart) / 1e9, new TreeMap<>(badReasons));
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf(Locale.ROOT, "bad records: %,d failed through the future, %,d refused at add, "
                    + "%,d stored (must be 0); good records failed: %,d (must be 0)%n", badFailedFuture.sum(),
                    badRefusedAtAdd.sum(), badStored.sum(), goodFailed.sum());
            System.out.printf(Locale.ROOT, "calls: ListShards %,d, DescribeStreamSummary %,d, PutRecords %,d, "
                    + "most shard-map loads in flight at once %,d; heap used after GC %.1f MiB%n",
                    fake.listShardsCalls.get(), fake.describeCalls.get(), fake.putCalls.get(),
                    fake.maxLoadsInFlight.get(), heap / 1048576.0);
        }
        fake.timer.shutdownNow();
    }

    /** Answers on a timer thread after a fixed latency, as a remote service would. */
    static final class FakeKinesis implements KinesisAsyncClient {

        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fake-kinesis");
            t.setDaemon(true);
            return t;
        });
        final AtomicLong listShardsCalls = new AtomicLong();
        final AtomicLong describeCalls = new AtomicLong();
        final AtomicLong putCalls = new AtomicLong();
        final AtomicInteger loadsInFlight = new AtomicInteger();
        final AtomicInteger maxLoadsInFlight = new AtomicInteger();
        final AtomicLong sequence = new AtomicLong();
        private final List<Shard> shardList = new ArrayList<>();
        private final long listLatency;
        private final long putLatency;
        private final BigInteger shardSize;
        private final int shards;
        private final int connections;
        private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
        private int busy; // guarded by waiting

        FakeKinesis(int shards, long listLatency, long putLatency, int connections) {
            this.shards = shards;
            this.connections = connections;
            this.listLatency = listLatency;
            this.putLatency = putLatency;
            BigInteger max = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
            shardSize = max.add(BigInteger.ONE).divide(BigInteger.valueOf(shards));
            for (int i = 0; i < shards; i++) {
                BigInteger from = shardSize.multiply(BigInteger.valueOf(i));
                BigInteger to = i == shards - 1 ? max : from.add(shardSize).subtract(BigInteger.ONE);
                shardList.add(Shard.builder().shardId(shardId(i))
                        .hashKeyRange(HashKeyRange.builder().startingHashKey(from.toString())
                                .endingHashKey(to.toString()).build())
                        .sequenceNumberRange(SequenceNumberRange.builder().startingSequenceNumber("0").build())
                        .build());
            }
        }

        private static String shardId(int i) {
            return String.format("shardId-%012d", i);
        }

        private static boolean good(String name, String arn) {
            String s = name != null ? name : arn.substring(arn.lastIndexOf('/') + 1);
            return s.equals(GOOD);
        }

        /**
         * Answers after {@code latency}, holding one of the client's connections meanwhile: like the SDK's Netty
         * client (the producer builds it with 50 connections), calls beyond the pool wait in FIFO order.
         */
        private <T> CompletableFuture<T> later(long latency, Supplier<T> answer, boolean load) {
            if (load) {
                int n = loadsInFlight.incrementAndGet();
                maxLoadsInFlight.accumulateAndGet(n, Math::max);
            }
            CompletableFuture<T> f = new CompletableFuture<>();
            Runnable call = () -> timer.schedule(() -> {
                if (load) {
                    loadsInFlight.decrementAndGet();
                }
                try {
                    f.complete(answer.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
                Runnable next;
                synchronized (waiting) {
                    next = waiting.poll();
                    if (next == null) {
                        busy--;
                    }
                }
                if (next != null) {
                    next.run();
                }
            }, latency, TimeUnit.MILLISECONDS);
            synchronized (waiting) {
                if (busy >= connections) {
                    waiting.add(call);
                    return f;
                }
                busy++;
            }
            call.run();
            return f;
        }

        private static RuntimeException notFound(String name) {
            return ResourceNotFoundException.builder().message("Stream " + name + " not found")
                    .awsErrorDetails(AwsErrorDetails.builder().errorCode("ResourceNotFoundException")
                            .errorMessage("Stream " + name + " not found").build()).statusCode(400).build();
        }

        @Override
        public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
            listShardsCalls.incrementAndGet();
            return later(listLatency, () -> {
                if (request.nextToken() == null && !good(request.streamName(), request.streamARN())) {
                    throw notFound(request.streamName());
                }
                return ListShardsResponse.builder().shards(shardList).build();
            }, true);
        }

        @Override
        public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(
                DescribeStreamSummaryRequest request) {
            describeCalls.incrementAndGet();
            return later(listLatency, () -> {
                if (!good(request.streamName(), request.streamARN())) {
                    throw notFound(request.streamName());
                }
                return DescribeStreamSummaryResponse.builder().streamDescriptionSummary(
                        StreamDescriptionSummary.builder().streamName(GOOD)
                                .streamARN("arn:aws:kinesis:us-east-1:123456789012:stream/" + GOOD)
                                .streamStatus(StreamStatus.ACTIVE).openShardCount(shards).build()).build();
            }, true);
        }

        @Override
        public CompletableFuture<PutRecordsResponse> putRecords(PutRecordsRequest request) {
            putCalls.incrementAndGet();
            return later(putLatency, () -> {
                if (!good(request.streamName(), request.streamARN())) {
                    throw notFound(request.streamName());
                }
                List<PutRecordsResultEntry> results = new ArrayList<>(request.records().size());
                for (PutRecordsRequestEntry e : request.records()) {
                    BigInteger hash = e.explicitHashKey() != null ? new BigInteger(e.explicitHashKey())
                            : md5(e.partitionKey());
                    int shard = Math.min(shards - 1, hash.divide(shardSize).intValue());
                    results.add(PutRecordsResultEntry.builder().shardId(shardId(shard))
                            .sequenceNumber(Long.toString(sequence.incrementAndGet())).build());
                }
                return PutRecordsResponse.builder().failedRecordCount(0).records(results).build();
            }, false);
        }

        private static BigInteger md5(String key) {
            try {
                return new BigInteger(1, MessageDigest.getInstance("MD5")
                        .digest(key.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String serviceName() {
            return "kinesis";
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }

}
