package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.producer.BackpressureMode;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.KinesisProducerException;
import io.purekinesis.producer.ProducerClosedException;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordFailedException;
import io.purekinesis.producer.RecordResult;
import io.purekinesis.producer.RecordTooLargeException;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.math.BigInteger;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The bad-input catalogue of the producer's public API: every invalid argument of {@code add} and every invalid
 * {@link ProducerConfig.Builder} setting, each row asserting the exception type and a specific fragment of its
 * message. For {@code add}, each row first adds good records, and they must still be stored afterwards (and the
 * stream must hold exactly the good records). Errors are thrown at the call, except for a stream that does not
 * exist: {@code add} cannot know that, so the future fails (and the record is dead-lettered).
 */
@ExtendWith(LocalEndpointsExtension.class)
class BadInputProducerTest {

    private static final int MIB = ProducerConfig.MAX_RECORD_SIZE_BYTES;
    private static final BigInteger TWO_TO_128 = BigInteger.ONE.shiftLeft(128);

    private static String stream;
    private static KinesisAsyncClient kinesis;
    private static KinesisProducer producer;
    private static final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    private static final Map<String, CompletableFuture<RecordResult>> good = new ConcurrentHashMap<>();
    private static final AtomicInteger counter = new AtomicInteger();
    private static final AtomicInteger acceptedCount = new AtomicInteger();
    private static final AtomicInteger closedRecords = new AtomicInteger();

    /** What a row does with the producer and the test stream; its result is the future, if it returns one. */
    @FunctionalInterface
    interface AddCall {
        CompletableFuture<RecordResult> call(KinesisProducer producer, String stream);
    }

    @BeforeAll
    static void startProducer(KinesisAsyncClient client) {
        kinesis = client;
        stream = Streams.uniqueStreamName("bad-input");
        Streams.createStream(kinesis, stream, 2);
        producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(kinesis)
                .deadLetterHandler(deadLetters::add).producerName("bad-input").build());
    }

    @AfterAll
    static void everyGoodRecordStoredOnce() throws Exception {
        try {
            List<FailedRecord> undelivered = producer.close(Duration.ofSeconds(30));
            assertTrue(undelivered.isEmpty(), undelivered.toString());
            Map<String, Integer> stored = new HashMap<>();
            int others = 0;
            for (Streams.ShardRecord r : Streams.readAll(kinesis, stream, Duration.ofSeconds(60))) {
                for (DecodedRecord d : AggregateDecoder.decode(r.data(), r.partitionKey(), null)) {
                    String text = new String(d.data(), 0, Math.min(40, d.data().length), StandardCharsets.UTF_8);
                    if (text.startsWith("good-")) {
                        stored.merge(text.substring(0, text.indexOf('|')), 1, Integer::sum);
                    } else {
                        others++;
                    }
                }
            }
            for (String data : good.keySet()) {
                assertEquals(Integer.valueOf(1), stored.get(data), "stored copies of good record " + data);
            }
            assertEquals(good.size(), stored.size(), "unexpected good-* records: " + stored);
            assertEquals(acceptedCount.get() + closedRecords.get(), others,
                    "records stored besides the good ones, the accepted boundaries and addAfterClose's");
            System.out.printf("BAD INPUT producer add: %d good records added around the bad calls, all stored once;"
                    + " %d accepted-boundary and %d add-after-close records stored; no record of a refused call"
                    + " stored; dead letters %d (%s)%n", good.size(), acceptedCount.get(), closedRecords.get(),
                    deadLetters.size(), deadLetters.stream().map(f -> f.reason() + " " + f.stream()).toList());
        } finally {
            producer.close(Duration.ZERO);
        }
    }

    static Stream<Arguments> addRows() {
        String ok = "good";
        byte[] data = bytes(10);
        return Stream.of(
                // stream
                throwsAtCall("stream null", (p, s) -> p.add(null, "k", data),
                        IllegalArgumentException.class, "stream must not be null"),
                throwsAtCall("stream empty", (p, s) -> p.add("", "k", data),
                        IllegalArgumentException.class, "stream must be a stream name of 1-128 characters"),
                throwsAtCall("stream with a space", (p, s) -> p.add("my stream", "k", data),
                        IllegalArgumentException.class, "was 'my stream' (9 characters)"),
                throwsAtCall("stream of 129 characters", (p, s) -> p.add("s".repeat(129), "k", data),
                        IllegalArgumentException.class, "(129 characters)"),
                throwsAtCall("stream ARN with an 11-digit account", (p, s) ->
                                p.add("arn:aws:kinesis:us-east-1:00000000000:stream/" + s, "k", data),
                        IllegalArgumentException.class, "or a Kinesis stream ARN"),
                throwsAtCall("stream ARN of another service", (p, s) ->
                                p.add("arn:aws:sqs:us-east-1:000000000000:stream/" + s, "k", data),
                        IllegalArgumentException.class, "or a Kinesis stream ARN"),
                failsOnFuture("stream that does not exist", (p, s) -> p.add(s + "-missing", "k", data),
                        RecordFailedException.class, "record not delivered (STREAM_NOT_FOUND) after 0 attempts"),
                failsOnFuture("stream ARN that does not exist", (p, s) ->
                                p.add("arn:aws:kinesis:us-east-1:000000000000:stream/" + s + "-missing", "k", data),
                        RecordFailedException.class, "STREAM_NOT_FOUND"),
                // partition key
                throwsAtCall("partition key null", (p, s) -> p.add(s, null, data),
                        IllegalArgumentException.class, "partitionKey must not be null"),
                throwsAtCall("partition key empty", (p, s) -> p.add(s, "", data),
                        IllegalArgumentException.class, "partitionKey must have 1 to 256 UTF-16 code units, had 0"),
                throwsAtCall("partition key of 257 chars", (p, s) -> p.add(s, "k".repeat(257), data),
                        IllegalArgumentException.class, "had 257"),
                throwsAtCall("partition key of 129 surrogate pairs (258 UTF-16 units)",
                        (p, s) -> p.add(s, "\uD83D\uDE00".repeat(129), data),
                        IllegalArgumentException.class, "had 258"),
                // explicit hash key
                throwsAtCall("explicit hash key not decimal", (p, s) -> p.add(s, "k", "abc", data),
                        IllegalArgumentException.class, "explicit hash key must be a decimal integer in [0, 2^128-1],"
                                + " was 'abc'"),
                throwsAtCall("explicit hash key hexadecimal", (p, s) -> p.add(s, "k", "0x10", data),
                        IllegalArgumentException.class, "was '0x10'"),
                throwsAtCall("explicit hash key negative", (p, s) -> p.add(s, "k", "-1", data),
                        IllegalArgumentException.class, "was '-1'"),
                throwsAtCall("explicit hash key empty", (p, s) -> p.add(s, "k", "", data),
                        IllegalArgumentException.class, "was ''"),
                throwsAtCall("explicit hash key with a space", (p, s) -> p.add(s, "k", " 1", data),
                        IllegalArgumentException.class, "was ' 1'"),
                throwsAtCall("explicit hash key 2^128", (p, s) -> p.add(s, "k", TWO_TO_128.toString(), data),
                        IllegalArgumentException.class, "explicit hash key must be at most 2^128-1"),
                // data and size
                throwsAtCall("data null (byte[])", (p, s) -> p.add(s, "k", (byte[]) null),
                        NullPointerException.class, "data must not be null"),
                throwsAtCall("data null (ByteBuffer)", (p, s) -> p.add(s, "k", (ByteBuffer) null),
                        NullPointerException.class, "data must not be null"),
                throwsAtCall("data 1 MiB + 1-byte key", (p, s) -> p.add(s, "k", new byte[MIB]),
                        RecordTooLargeException.class, "record is 1048577 bytes (data + partition key UTF-8 bytes),"
                                + " Kinesis accepts at most 1048576"),
                throwsAtCall("data + key 1 byte over 1 MiB", (p, s) -> p.add(s, "abc", new byte[MIB - 2]),
                        RecordTooLargeException.class, "record is 1048577 bytes"),
                throwsAtCall("key counted in UTF-8: 101 x '\u20ac' (303 bytes) + 1 MiB - 300 data",
                        (p, s) -> p.add(s, "\u20ac".repeat(101), new byte[MIB - 300]),
                        RecordTooLargeException.class, "record is 1048579 bytes"),
                throwsAtCall("ByteBuffer data over 1 MiB", (p, s) -> p.add(s, "k", ByteBuffer.allocate(MIB)),
                        RecordTooLargeException.class, "record is 1048577 bytes"),
                // accepted boundaries: the future succeeds
                accepted("partition key of 256 chars", (p, s) -> p.add(s, "k".repeat(256), data)),
                accepted("partition key of 128 surrogate pairs", (p, s) -> p.add(s, "\uD83D\uDE00".repeat(128), data)),
                accepted("explicit hash key 0", (p, s) -> p.add(s, "k", "0", data)),
                accepted("explicit hash key 2^128-1", (p, s) ->
                        p.add(s, "k", TWO_TO_128.subtract(BigInteger.ONE).toString(), data)),
                accepted("explicit hash key with leading zeros", (p, s) -> p.add(s, "k", "0007", data)),
                accepted("data + key exactly 1 MiB", (p, s) -> p.add(s, "k\u20ac", bytes(MIB - 4))),
                accepted("empty data", (p, s) -> p.add(s, "k", new byte[0])));
    }

    @ParameterizedTest(name = "add: {0}")
    @MethodSource("addRows")
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void add(String name, AddCall call, Class<? extends Throwable> type, String fragment, String where)
            throws Exception {
        List<CompletableFuture<RecordResult>> before = addGood(3);
        int deadBefore = deadLetters.size();
        switch (where) {
            case "call" -> {
                Throwable t = assertThrows(type, () -> call.call(producer, stream), name);
                assertTrue(t.getMessage().contains(fragment), "message of " + name + ": " + t.getMessage());
                System.out.printf("BAD INPUT add | %s | at the call | %s | %s%n", name, type.getSimpleName(),
                        t.getMessage());
            }
            case "future" -> {
                CompletableFuture<RecordResult> f = call.call(producer, stream);
                Throwable t = failureOf(f.handle((r, e) -> e).get(60, TimeUnit.SECONDS));
                assertInstanceOf(type, t, name);
                assertTrue(t.getMessage().contains(fragment), "message of " + name + ": " + t.getMessage());
                assertEquals(FailureReason.STREAM_NOT_FOUND, ((RecordFailedException) t).reason());
                awaitDeadLetters(deadBefore + 1);
                FailedRecord dl = deadLetters.get(deadLetters.size() - 1);
                assertEquals(FailureReason.STREAM_NOT_FOUND, dl.reason());
                assertTrue(dl.lastErrorMessage().contains("not found"), dl.toString());
                System.out.printf("BAD INPUT add | %s | on the future + dead letter | %s | %s%n", name,
                        t.getClass().getSimpleName(), t.getMessage());
            }
            case "accepted" -> {
                RecordResult r = call.call(producer, stream).get(60, TimeUnit.SECONDS);
                assertTrue(r.sequenceNumber() != null && !r.sequenceNumber().isEmpty(), name);
                System.out.printf("BAD INPUT add | %s | accepted, stored in %s%n", name, r.shardId());
                acceptedCount.incrementAndGet(); // stored, so the read-back must find it too
            }
            default -> fail(where);
        }
        producer.flush();
        for (CompletableFuture<RecordResult> f : before) {
            f.get(60, TimeUnit.SECONDS); // the records added before the bad call are unaffected
        }
        if (!where.equals("future")) {
            assertEquals(deadBefore, deadLetters.size(), "a dead letter appeared for " + name);
        }
    }

    /** Close, then add: ProducerClosedException; what was added before close is stored. */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void addAfterClose(KinesisAsyncClient client) throws Exception {
        List<FailedRecord> dead = new CopyOnWriteArrayList<>();
        KinesisProducer p = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                .deadLetterHandler(dead::add).producerName("bad-input-closed").build());
        List<CompletableFuture<RecordResult>> before = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            before.add(p.add(stream, "closed-" + i, ("closed-before-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        List<FailedRecord> undelivered = p.close(Duration.ofSeconds(30));
        assertTrue(undelivered.isEmpty(), undelivered.toString());
        for (CompletableFuture<RecordResult> f : before) {
            assertFalse(f.get(30, TimeUnit.SECONDS).sequenceNumber().isEmpty());
        }
        closedRecords.addAndGet(before.size());
        ProducerClosedException e = assertThrows(ProducerClosedException.class,
                () -> p.add(stream, "k", bytes(10)));
        assertTrue(e.getMessage().contains("producer bad-input-closed is closed"), e.getMessage());
        // checked before the arguments: even a bad call says "closed"
        assertThrows(ProducerClosedException.class, () -> p.add(null, null, (byte[]) null));
        assertTrue(p.close(Duration.ofSeconds(1)).isEmpty(), "second close");
        assertTrue(dead.isEmpty(), dead.toString());
        System.out.printf("BAD INPUT add | after close | at the call | ProducerClosedException | %s%n",
                e.getMessage());
    }

    /**
     * An add blocked for buffer space (BLOCK) when close begins gets ProducerClosedException; one whose thread is
     * interrupted stops waiting. Kinesis is a stalled endpoint here, so the budget stays full.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void blockedAddInterruptedOrClosed(LocalEndpoints endpoints) throws Exception {
        try (StalledEndpointProxy proxy = new StalledEndpointProxy(endpoints.kinesis().endpoint());
                KinesisAsyncClient client = endpoints.kinesisClientBuilder().endpointOverride(proxy.endpoint())
                        .build()) {
            proxy.mode(StalledEndpointProxy.Mode.BLACKHOLE);
            KinesisProducer p = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                    .maxOutstandingRecords(1).backpressure(BackpressureMode.BLOCK).addTimeout(Duration.ofSeconds(60))
                    .deadLetterHandler(f -> { }).producerName("bad-input-blocked").build());
            try {
                CompletableFuture<RecordResult> first = p.add(stream, "k", bytes(10)); // fills the budget
                AtomicReference<Throwable> interrupted = new AtomicReference<>();
                AtomicBoolean flagKept = new AtomicBoolean();
                Thread t = new Thread(() -> {
                    try {
                        p.add(stream, "k", bytes(10));
                    } catch (Throwable e) {
                        interrupted.set(e);
                        flagKept.set(Thread.currentThread().isInterrupted());
                    }
                });
                t.start();
                awaitState(t, Thread.State.TIMED_WAITING);
                t.interrupt();
                t.join(30_000);
                Throwable e = interrupted.get();
                System.out.printf("BAD INPUT add | interrupted while blocked for buffer space | at the call | %s"
                        + " | %s%n",
                        e == null ? null : e.getClass().getSimpleName(), e == null ? null : e.getMessage());
                // not a BufferFullException: the buffer may have room a moment later
                assertInstanceOf(KinesisProducerException.class, e);
                assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                assertTrue(flagKept.get(), "the thread's interrupt flag was cleared");

                AtomicReference<Throwable> closedWhileWaiting = new AtomicReference<>();
                Thread t2 = new Thread(() -> {
                    try {
                        p.add(stream, "k", bytes(10));
                    } catch (Throwable x) {
                        closedWhileWaiting.set(x);
                    }
                });
                t2.start();
                awaitState(t2, Thread.State.TIMED_WAITING);
                List<FailedRecord> undelivered = p.close(Duration.ofMillis(500));
                t2.join(30_000);
                Throwable c = closedWhileWaiting.get();
                assertInstanceOf(ProducerClosedException.class, c);
                assertTrue(c.getMessage().contains("closed while waiting for buffer space"), c.getMessage());
                assertEquals(1, undelivered.size(), "the one buffered record is returned by close");
                Throwable firstFailure = failureOf(first.handle((r, x) -> x).get(10, TimeUnit.SECONDS));
                assertInstanceOf(RecordFailedException.class, firstFailure);
                assertEquals(FailureReason.PRODUCER_CLOSED, ((RecordFailedException) firstFailure).reason());
                System.out.printf("BAD INPUT add | blocked for buffer space when close began | at the call | %s | %s%n",
                        c.getClass().getSimpleName(), c.getMessage());
            } finally {
                p.close(Duration.ZERO);
            }
        }
    }

    static Stream<Arguments> configRows() {
        Duration day = Duration.ofDays(1);
        Duration hour = Duration.ofHours(1);
        List<Arguments> rows = new ArrayList<>(Arrays.asList(
                config("recordMaxBufferedTime negative", b -> b.recordMaxBufferedTime(Duration.ofMillis(-1)),
                        "recordMaxBufferedTime must be in [PT0S, PT1H], was PT-0.001S"),
                config("recordMaxBufferedTime over 1 h", b -> b.recordMaxBufferedTime(hour.plusMillis(1)),
                        "recordMaxBufferedTime must be in [PT0S, PT1H], was PT1H0.001S"),
                config("aggregationMaxSize 63", b -> b.aggregationMaxSize(63),
                        "aggregationMaxSize must be in [64, 1048576], was 63"),
                config("aggregationMaxSize 1 MiB + 1", b -> b.aggregationMaxSize(MIB + 1),
                        "aggregationMaxSize must be in [64, 1048576], was 1048577"),
                config("aggregationMaxCount 0", b -> b.aggregationMaxCount(0),
                        "aggregationMaxCount must be in [1, 4294967295], was 0"),
                config("aggregationMaxCount 2^32", b -> b.aggregationMaxCount(4_294_967_296L),
                        "aggregationMaxCount must be in [1, 4294967295], was 4294967296"),
                config("collectionMaxCount 0", b -> b.collectionMaxCount(0),
                        "collectionMaxCount must be in [1, 500], was 0"),
                config("collectionMaxCount 501", b -> b.collectionMaxCount(501),
                        "collectionMaxCount must be in [1, 500], was 501"),
                config("collectionMaxSize 0", b -> b.collectionMaxSize(0),
                        "collectionMaxSize must be in [1, 5242880], was 0"),
                config("collectionMaxSize 5 MiB + 1", b -> b.collectionMaxSize(5L * MIB + 1),
                        "collectionMaxSize must be in [1, 5242880], was 5242881"),
                config("recordTtl zero", b -> b.recordTtl(Duration.ZERO),
                        "recordTtl must be in [PT0.001S, PT24H], was PT0S"),
                config("recordTtl negative", b -> b.recordTtl(Duration.ofSeconds(-5)),
                        "recordTtl must be in [PT0.001S, PT24H], was PT-5S"),
                config("recordTtl over 1 day", b -> b.recordTtl(day.plusMillis(1)),
                        "recordTtl must be in [PT0.001S, PT24H], was PT24H0.001S"),
                config("rateLimit 0 %", b -> b.rateLimit(0), "rateLimit must be in [1, 10000], was 0"),
                config("rateLimit negative", b -> b.rateLimit(-50), "rateLimit must be in [1, 10000], was -50"),
                config("rateLimit 10001 %", b -> b.rateLimit(10_001), "rateLimit must be in [1, 10000], was 10001"),
                config("maxConcurrentRequests 0", b -> b.maxConcurrentRequests(0),
                        "maxConcurrentRequests must be in [1, 1024], was 0"),
                config("maxConcurrentRequests 1025", b -> b.maxConcurrentRequests(1025),
                        "maxConcurrentRequests must be in [1, 1024], was 1025"),
                config("requestTimeout 99 ms", b -> b.requestTimeout(Duration.ofMillis(99)),
                        "requestTimeout must be in [PT0.1S, PT10M], was PT0.099S"),
                config("requestTimeout negative", b -> b.requestTimeout(Duration.ofSeconds(-1)),
                        "requestTimeout must be in [PT0.1S, PT10M], was PT-1S"),
                config("requestTimeout over 10 min", b -> b.requestTimeout(Duration.ofMinutes(10).plusMillis(1)),
                        "requestTimeout must be in [PT0.1S, PT10M], was PT10M0.001S"),
                config("shardMapRefreshInterval 99 ms", b -> b.shardMapRefreshInterval(Duration.ofMillis(99)),
                        "shardMapRefreshInterval must be in [PT0.1S, PT24H], was PT0.099S"),
                config("shardMapRefreshInterval over 1 day", b -> b.shardMapRefreshInterval(day.plusMillis(1)),
                        "shardMapRefreshInterval must be in [PT0.1S, PT24H]"),
                config("maxOutstandingBytes 1 MiB - 1", b -> b.maxOutstandingBytes(MIB - 1),
                        "maxOutstandingBytes must be in [1048576, 9223372036854775807], was 1048575"),
                config("maxOutstandingBytes 0", b -> b.maxOutstandingBytes(0),
                        "maxOutstandingBytes must be in [1048576, "),
                config("maxOutstandingRecords 0", b -> b.maxOutstandingRecords(0),
                        "maxOutstandingRecords must be in [1, 2147483647], was 0"),
                config("maxOutstandingRecords negative", b -> b.maxOutstandingRecords(-1),
                        "maxOutstandingRecords must be in [1, 2147483647], was -1"),
                config("addTimeout negative", b -> b.addTimeout(Duration.ofMillis(-1)),
                        "addTimeout must be in [PT0S, PT24H], was PT-0.001S"),
                config("addTimeout over 1 day", b -> b.addTimeout(day.plusSeconds(1)),
                        "addTimeout must be in [PT0S, PT24H], was PT24H1S"),
                config("retryBaseDelay zero", b -> b.retryBaseDelay(Duration.ZERO),
                        "retryBaseDelay must be in [PT0.001S, PT1H], was PT0S"),
                config("retryBaseDelay over 1 h", b -> b.retryBaseDelay(hour.plusMillis(1)),
                        "retryBaseDelay must be in [PT0.001S, PT1H], was PT1H0.001S"),
                config("retryMaxDelay zero", b -> b.retryMaxDelay(Duration.ZERO),
                        "retryMaxDelay must be in [PT0.001S, PT1H], was PT0S"),
                config("retryMaxDelay below retryBaseDelay", b -> b.retryBaseDelay(Duration.ofSeconds(2))
                                .retryMaxDelay(Duration.ofSeconds(1)),
                        "retryMaxDelay must be at least retryBaseDelay (PT2S), was PT1S"),
                config("maxAttempts negative", b -> b.maxAttempts(-1),
                        "maxAttempts must be in [0, 2147483647], was -1"),
                config("kinesisClient with region", b -> b.kinesisClient(kinesis).region(Region.US_EAST_1),
                        "kinesisClient excludes region"),
                config("kinesisClient with endpointOverride", b -> b.kinesisClient(kinesis)
                        .endpointOverride(URI.create("http://127.0.0.1:1")), "kinesisClient excludes endpointOverride"),
                config("kinesisClient with credentialsProvider", b -> b.kinesisClient(kinesis)
                        .credentialsProvider(AnonymousCredentialsProvider.create()),
                        "kinesisClient excludes credentialsProvider"),
                config("producerName blank", b -> b.producerName("  "), "producerName must not be blank, was '  '"),
                config("producerName empty", b -> b.producerName(""), "producerName must not be blank, was ''")));
        // null values are refused by the setter itself, naming the setting
        for (String field : List.of("recordMaxBufferedTime", "recordTtl", "requestTimeout", "shardMapRefreshInterval",
                "backpressure", "addTimeout", "retryBaseDelay", "retryMaxDelay", "deadLetterHandler", "metrics",
                "clock")) {
            rows.add(Arguments.of(field + " null", (Consumer<ProducerConfig.Builder>) b -> nullSetter(b, field),
                    NullPointerException.class, field));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "ProducerConfig: {0}")
    @MethodSource("configRows")
    void producerConfig(String name, Consumer<ProducerConfig.Builder> change, Class<? extends Throwable> type,
            String fragment) {
        ProducerConfig.Builder b = ProducerConfig.builder();
        Throwable t = assertThrows(type, () -> {
            change.accept(b);
            b.build();
        }, name);
        assertTrue(t.getMessage() != null && t.getMessage().contains(fragment),
                "message of " + name + ": " + t.getMessage());
        System.out.printf("BAD INPUT ProducerConfig | %s | %s | %s%n", name, type.getSimpleName(), t.getMessage());
    }

    private static void nullSetter(ProducerConfig.Builder b, String field) {
        switch (field) {
            case "recordMaxBufferedTime" -> b.recordMaxBufferedTime(null);
            case "recordTtl" -> b.recordTtl(null);
            case "requestTimeout" -> b.requestTimeout(null);
            case "shardMapRefreshInterval" -> b.shardMapRefreshInterval(null);
            case "backpressure" -> b.backpressure(null);
            case "addTimeout" -> b.addTimeout(null);
            case "retryBaseDelay" -> b.retryBaseDelay(null);
            case "retryMaxDelay" -> b.retryMaxDelay(null);
            case "deadLetterHandler" -> b.deadLetterHandler(null);
            case "metrics" -> b.metrics(null);
            case "clock" -> b.clock(null);
            default -> throw new IllegalArgumentException(field);
        }
    }

    private static Arguments config(String name, Consumer<ProducerConfig.Builder> change, String fragment) {
        return Arguments.of(name, change, IllegalArgumentException.class, fragment);
    }

    private static Arguments throwsAtCall(String name, AddCall call, Class<? extends Throwable> type,
            String fragment) {
        return Arguments.of(name, call, type, fragment, "call");
    }

    private static Arguments failsOnFuture(String name, AddCall call, Class<? extends Throwable> type,
            String fragment) {
        return Arguments.of(name, call, type, fragment, "future");
    }

    /** A boundary that is valid: the record is stored (and counted in the read-back). */
    private static Arguments accepted(String name, AddCall call) {
        return Arguments.of(name, call, null, null, "accepted");
    }

    private static List<CompletableFuture<RecordResult>> addGood(int n) {
        List<CompletableFuture<RecordResult>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String data = "good-" + counter.incrementAndGet();
            CompletableFuture<RecordResult> f = producer.add(stream, "pk-" + data,
                    (data + "|").getBytes(StandardCharsets.UTF_8));
            good.put(data, f);
            out.add(f);
        }
        return out;
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'b');
        return b;
    }

    private static Throwable failureOf(Throwable t) {
        assertTrue(t != null, "the future succeeded");
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static void awaitDeadLetters(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (deadLetters.size() < n) {
            assertTrue(System.nanoTime() < deadline, "dead letter not received");
            Thread.sleep(10);
        }
    }

    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != state) {
            assertTrue(System.nanoTime() < deadline, t.getName() + " never reached " + state);
            Thread.sleep(5);
        }
    }
}
