package io.purekinesis.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.aggregation.HashKeys;
import java.math.BigInteger;
import java.net.URI;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The sink against a real SDK client (Netty, HTTP/1.1), in process: every call through the SDK runs once in each of
 * its encodings ({@link Json}, {@link Cbor}), each client built with its own {@code aws.cborEnabled} (read when the
 * client is built, so the order of the tests does not matter).
 */
class PutRecordsSinkTest {

    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    @Nested
    class Json extends SdkContract {
        Json() {
            super(WireProtocol.JSON);
        }
    }

    @Nested
    class Cbor extends SdkContract {
        Cbor() {
            super(WireProtocol.CBOR);
        }
    }

    /** What the SDK sees of the sink, whichever encoding it speaks. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class SdkContract {

        private final WireProtocol wire;
        /** Content-Type of every request this class's clients sent and of every response they got. */
        private final Set<String> contentTypes = ConcurrentHashMap.newKeySet();
        private PutRecordsSink sink;
        private KinesisAsyncClient client;

        SdkContract(WireProtocol wire) {
            this.wire = wire;
        }

        @BeforeAll
        void start() throws Exception {
            sink = PutRecordsSink.start(0, 4, PutRecordsSink.CountMode.RECORDS);
            client = client(sink);
        }

        @AfterAll
        void stop() {
            client.close();
            sink.close();
        }

        private KinesisAsyncClient client(PutRecordsSink target) {
            ExecutionInterceptor recordContentTypes = new ExecutionInterceptor() {
                @Override
                public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
                    context.httpRequest().firstMatchingHeader("Content-Type").ifPresent(contentTypes::add);
                    context.httpResponse().firstMatchingHeader("Content-Type").ifPresent(contentTypes::add);
                }
            };
            return wire.buildClient(() -> KinesisAsyncClient.builder()
                    .endpointOverride(target.endpoint())
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b")))
                    .httpClient(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1).build())
                    .overrideConfiguration(c -> c.addExecutionInterceptor(recordContentTypes))
                    .build());
        }

        @Test
        void everyRequestIsAnsweredInItsOwnEncoding() {
            client.listShards(b -> b.streamName("s")).join();
            client.putRecords(b -> b.streamName("s").records(PutRecordsRequestEntry.builder().partitionKey("k")
                    .data(SdkBytes.fromUtf8String("v")).build())).join();
            assertEquals(Set.of(wire.contentType()), contentTypes);
        }

        @Test
        void anInvalidRequestIsAnInvalidArgumentExceptionWithTheSinksMessage() {
            CompletionException e = assertThrows(CompletionException.class,
                    () -> client.listShards(b -> b.nextToken("bogus")).join());
            InvalidArgumentException cause = assertInstanceOf(InvalidArgumentException.class, e.getCause());
            assertTrue(cause.getMessage().contains("invalid NextToken bogus"), cause.getMessage());
        }

        @Test
        void aFailFractionOfOneFailsEveryEntryWithThrottlingAndStoresNothing() {
            PutRecordsSink.Stats before = sink.stats();
            sink.setFailFraction(1);
            try {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + i)
                            .data(SdkBytes.fromUtf8String("v" + i)).build());
                }
                PutRecordsResponse response = client.putRecords(b -> b.streamName("s").records(entries)).join();
                assertEquals(10, response.failedRecordCount());
                for (PutRecordsResultEntry r : response.records()) {
                    assertEquals("ProvisionedThroughputExceededException", r.errorCode());
                    assertNull(r.sequenceNumber());
                }
            } finally {
                sink.setFailFraction(0);
            }
            PutRecordsSink.Stats after = sink.stats();
            assertEquals(10, after.throttledEntries() - before.throttledEntries());
            assertEquals(before.entries(), after.entries(), "a throttled entry is not stored");
        }

        @Test
        void shardLimitsLetOneMebibytePerShardThroughAndThrottleTheRest() {
            sink.setShardLimits(true);
            try {
                // One call, one shard, 5 x 500,000 bytes: a full bucket holds two of them.
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("k").explicitHashKey("0")
                            .data(SdkBytes.fromByteArray(new byte[500_000])).build());
                }
                PutRecordsResponse response = client.putRecords(b -> b.streamName("s").records(entries)).join();
                assertEquals(3, response.failedRecordCount());
                assertNotNull(response.records().get(0).sequenceNumber());
                assertNotNull(response.records().get(1).sequenceNumber());
                assertEquals("ProvisionedThroughputExceededException", response.records().get(2).errorCode());
            } finally {
                sink.setShardLimits(false);
            }
        }

        @Test
        void listShardsPagesThroughEvenRangesCoveringTheHashSpace() {
            ListShardsResponse first = client.listShards(b -> b.streamName("s").maxResults(3)).join();
            assertEquals(3, first.shards().size());
            assertNotNull(first.nextToken());
            ListShardsResponse second = client.listShards(b -> b.nextToken(first.nextToken())).join();
            assertEquals(1, second.shards().size());
            assertNull(second.nextToken());
            List<Shard> shards = new ArrayList<>(first.shards());
            shards.addAll(second.shards());

            BigInteger step = BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(4));
            BigInteger expectedStart = BigInteger.ZERO;
            for (int i = 0; i < 4; i++) {
                Shard shard = shards.get(i);
                assertEquals(sink.shardId(i), shard.shardId());
                assertEquals(step.multiply(BigInteger.valueOf(i)),
                        new BigInteger(shard.hashKeyRange().startingHashKey()));
                assertEquals(expectedStart, new BigInteger(shard.hashKeyRange().startingHashKey()));
                expectedStart = new BigInteger(shard.hashKeyRange().endingHashKey()).add(BigInteger.ONE);
                assertNotNull(shard.sequenceNumberRange().startingSequenceNumber());
                assertNull(shard.sequenceNumberRange().endingSequenceNumber());
            }
            assertEquals(MAX.add(BigInteger.ONE), expectedStart);

            ListShardsResponse after = client.listShards(b -> b.streamName("s")
                    .exclusiveStartShardId(sink.shardId(1))).join();
            assertEquals(List.of(sink.shardId(2), sink.shardId(3)),
                    after.shards().stream().map(Shard::shardId).toList());
        }

        @Test
        void describeStreamSummarySaysActive() {
            var summary = client.describeStreamSummary(b -> b.streamName("orders")).join().streamDescriptionSummary();
            assertEquals(StreamStatus.ACTIVE, summary.streamStatus());
            assertEquals(4, summary.openShardCount());
            assertEquals("orders", summary.streamName());
            assertEquals(24, summary.retentionPeriodHours());
            // JSON carries epoch seconds, CBOR tag 1 on epoch milliseconds: the same instant either way.
            assertEquals(Instant.ofEpochSecond(1_700_000_000L), summary.streamCreationTimestamp());
        }

        @Test
        void putRecordsRoutesByHashKeyAndCountsUserRecords() throws Exception {
            List<Shard> shards = client.listShards(b -> b.streamName("s")).join().shards();
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            List<BigInteger> hashKeys = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < 300; i++) {
                byte[] data = ("record-" + i).getBytes(StandardCharsets.UTF_8);
                bytes += data.length;
                entries.add(PutRecordsRequestEntry.builder().partitionKey("key-" + i)
                        .data(SdkBytes.fromByteArray(data)).build());
                hashKeys.add(HashKeys.partitionKeyHash("key-" + i));
            }
            // Explicit hash keys on and around every shard boundary.
            for (Shard shard : shards) {
                BigInteger start = new BigInteger(shard.hashKeyRange().startingHashKey());
                BigInteger end = new BigInteger(shard.hashKeyRange().endingHashKey());
                for (BigInteger key : List.of(start, end, start.add(BigInteger.ONE), end.subtract(BigInteger.ONE))) {
                    entries.add(PutRecordsRequestEntry.builder().partitionKey("x").explicitHashKey(key.toString())
                            .data(SdkBytes.fromByteArray(new byte[] {1})).build());
                    hashKeys.add(key);
                    bytes += 1;
                }
            }
            // One aggregate of 5 user records counts as 5.
            AggregateEncoder encoder = new AggregateEncoder();
            for (int i = 0; i < 5; i++) {
                encoder.add("agg-" + i, null, new byte[10]);
            }
            byte[] aggregate = encoder.toByteArray();
            entries.add(PutRecordsRequestEntry.builder().partitionKey("agg-0").data(SdkBytes.fromByteArray(aggregate))
                    .build());
            hashKeys.add(HashKeys.partitionKeyHash("agg-0"));
            bytes += aggregate.length;

            PutRecordsSink.Stats before = sink.stats();
            PutRecordsResponse response = client.putRecords(b -> b.streamName("s").records(entries)).join();
            PutRecordsSink.Stats after = sink.stats();

            assertEquals(0, response.failedRecordCount());
            assertEquals(entries.size(), response.records().size());
            Map<String, BigInteger> lastSequence = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                PutRecordsResultEntry result = response.records().get(i);
                assertNull(result.errorCode());
                assertEquals(expectedShard(shards, hashKeys.get(i)), result.shardId(), "entry " + i);
                BigInteger sequence = new BigInteger(result.sequenceNumber());
                BigInteger previous = lastSequence.put(result.shardId(), sequence);
                assertTrue(previous == null || sequence.compareTo(previous) > 0,
                        "sequence numbers increase per shard");
            }
            assertEquals(1, after.putRecordsCalls() - before.putRecordsCalls());
            assertEquals(entries.size(), after.entries() - before.entries());
            assertEquals(bytes, after.dataBytes() - before.dataBytes());
            assertEquals(entries.size() - 1 + 5, after.userRecords() - before.userRecords());
        }

        @Test
        void pausedSinkHoldsPutRecordsUntilResumed() throws Exception {
            try (PutRecordsSink paused = PutRecordsSink.start(0, 1, PutRecordsSink.CountMode.ENTRIES);
                    KinesisAsyncClient c = client(paused)) {
                paused.setPaused(true);
                var call = c.putRecords(b -> b.streamName("s").records(PutRecordsRequestEntry.builder()
                        .partitionKey("k").data(SdkBytes.fromByteArray(new byte[] {1, 2, 3, 4})).build()));
                // Wait until the sink has read the request and is holding it (the bound only prevents a hang).
                long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (paused.stats().pausedRequests() == 0) {
                    assertTrue(System.nanoTime() < giveUp, "the sink never received the PutRecords call");
                    Thread.sleep(10);
                }
                assertTrue(!call.isDone(), "answered while paused");
                assertEquals(1, paused.stats().entries());
                assertEquals(4, paused.stats().dataBytes());
                assertEquals(-1, paused.stats().userRecords());
                paused.setPaused(false);
                assertEquals(paused.shardId(0), call.join().records().get(0).shardId());
            }
        }

        @Test
        void decodeModeDeaggregatesWithAggregateDecoder() throws Exception {
            AggregateEncoder encoder = new AggregateEncoder();
            for (int i = 0; i < 7; i++) {
                encoder.add("key-" + i, null, new byte[] {(byte) i});
            }
            try (PutRecordsSink decoding = PutRecordsSink.start(0, 2, PutRecordsSink.CountMode.DECODE);
                    KinesisAsyncClient c = client(decoding)) {
                c.putRecords(b -> b.streamName("s").records(
                        PutRecordsRequestEntry.builder().partitionKey("key-0")
                                .data(SdkBytes.fromByteArray(encoder.toByteArray())).build(),
                        PutRecordsRequestEntry.builder().partitionKey("plain")
                                .data(SdkBytes.fromByteArray(new byte[] {9})).build())).join();
                assertEquals(2, decoding.stats().entries());
                assertEquals(8, decoding.stats().userRecords());
            }
        }
    }

    @Test
    void statsAndControlOverHttp() throws Exception {
        try (PutRecordsSink sink = PutRecordsSink.start(0, 4, PutRecordsSink.CountMode.RECORDS);
                SinkControl control = SinkControl.attach(URI.create("http://127.0.0.1:" + sink.port()))) {
            control.setDelayMillis(0);
            control.setPaused(false);
            PutRecordsSink.Stats stats = control.stats();
            assertEquals(4, stats.entriesPerShard().length);
            assertEquals(0, stats.pausedRequests());
        }
    }

    @Test
    void countsUserRecordsOfAggregatesWithoutDecoding() {
        assertEquals(1, PutRecordsSink.countUserRecords(new byte[] {1, 2, 3}));
        AggregateEncoder encoder = new AggregateEncoder();
        for (int i = 0; i < 77; i++) {
            encoder.add("k" + (i % 3), i % 2 == 0 ? null : "12345", new byte[i]);
        }
        assertEquals(77, PutRecordsSink.countUserRecords(encoder.toByteArray()));
    }

    private static String expectedShard(List<Shard> shards, BigInteger hashKey) {
        for (Shard shard : shards) {
            if (hashKey.compareTo(new BigInteger(shard.hashKeyRange().startingHashKey())) >= 0
                    && hashKey.compareTo(new BigInteger(shard.hashKeyRange().endingHashKey())) <= 0) {
                return shard.shardId();
            }
        }
        throw new AssertionError("no shard holds " + hashKey);
    }

    @Test
    void overTlsTheSinkAnswersTheSdkAndItsStatsAreReadable() throws Exception {
        try (PutRecordsSink tls = PutRecordsSink.start(0, 2, PutRecordsSink.CountMode.RECORDS, true);
                SinkControl control = SinkControl.attach(tls.endpoint())) {
            assertEquals("https", tls.endpoint().getScheme());
            // The harness's client at its default protocol (CBOR), as the race's child builds it.
            ProducerBenchmark.Options o = ProducerBenchmark.Options.parse(new String[0]);
            KinesisAsyncClient tlsClient = ProducerBenchmark.client(o, tls.endpoint(),
                    java.time.Duration.ofSeconds(10));
            try {
                assertEquals(2, tlsClient.listShards(b -> b.streamName("s")).join().shards().size());
                PutRecordsResponse response = tlsClient.putRecords(b -> b.streamName("s").records(
                        PutRecordsRequestEntry.builder().partitionKey("k").data(SdkBytes.fromUtf8String("v")).build()))
                        .join();
                assertEquals(0, response.failedRecordCount());
            } finally {
                tlsClient.close();
            }
            PutRecordsSink.Stats stats = control.stats();
            assertEquals(1, stats.putRecordsCalls());
            assertEquals(1, stats.userRecords());
        }
    }
}
