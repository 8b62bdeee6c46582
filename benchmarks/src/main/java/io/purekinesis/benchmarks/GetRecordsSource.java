package io.purekinesis.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.purekinesis.aggregation.AggregateEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fast local read-side stand-in for Kinesis: a pre-filled stream that the consumer can read at full speed, unlike
 * the emulator (slow to fill and to read). JDK {@code HttpServer}, Kinesis JSON protocol over plain HTTP/1.1 (clients
 * need {@code aws.cborEnabled=false} and {@code Protocol.HTTP1_1}), operations:
 * <ul>
 *   <li>{@code ListShards}: N open shards splitting [0, 2^128-1] evenly, one page.</li>
 *   <li>{@code DescribeStreamSummary}: ACTIVE, N open shards.</li>
 *   <li>{@code GetShardIterator}: TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER; the iterator is an
 *       opaque token naming shard and position.</li>
 *   <li>{@code GetRecords}: {@code Limit} honoured (default and maximum 10,000 entries), at most
 *       {@link #MAX_RESPONSE_DATA_BYTES} of data per call, {@code MillisBehindLatest} (1 ms per entry not yet read),
 *       {@code NextShardIterator} always set (the shards are open; at the tip an empty batch comes back).</li>
 * </ul>
 *
 * <p>The stream is synthetic and costs no memory per record: every shard holds {@code entriesPerShard} Kinesis
 * entries, each either one plain user record of {@code recordSize} bytes or one KPL aggregate of
 * {@code userRecordsPerAggregate} such records (built once with {@link AggregateEncoder}, a handful of variants
 * reused). Partition keys are chosen so their MD5 falls in the entry's shard (the consumer drops de-aggregated records
 * outside the shard's range). Sequence numbers are 56-digit decimal strings increasing along each shard; the entry's
 * index is their last 20 digits.
 */
public final class GetRecordsSource implements AutoCloseable {

    static final String TARGET_PREFIX = "Kinesis_20131202.";
    static final String CONTENT_TYPE = "application/x-amz-json-1.1";
    /** Cap on the data returned by one GetRecords (Kinesis allows 10 MiB; the consumer reads 2 MiB/s per shard). */
    static final int MAX_RESPONSE_DATA_BYTES = 2 * 1024 * 1024;
    static final int MAX_LIMIT = 10_000;
    private static final BigInteger HASH_SPACE = BigInteger.ONE.shiftLeft(128);
    private static final String ITERATOR_PREFIX = "src-it-";
    private static final int VARIANTS = 8;
    private static final int KEYS_PER_SHARD = 16;

    private final JsonFactory json = new JsonFactory();
    private final HttpServer server;
    private final ExecutorService executor;
    private final int shardCount;
    private final long entriesPerShard;
    private final int userRecordsPerEntry;
    private final boolean aggregated;
    private final String[] shardIds;
    private final String[] startKeys;
    private final String[] endKeys;
    /** Per shard, per variant: the entry's data, base64, and its raw length. */
    private final String[][] dataBase64;
    private final int[][] dataLength;
    private final String[][] partitionKeys;
    private final long baseArrivalMillis = System.currentTimeMillis() - 3_600_000L;
    /** Entries appended to every shard per second after start (0: a fixed stream); see {@link #tip}. */
    private final double appendPerSecond;
    private final long startNanos = System.nanoTime();

    private final LongAdder getRecordsCalls = new LongAdder();
    private final LongAdder entriesServed = new LongAdder();
    private final LongAdder otherCalls = new LongAdder();

    private GetRecordsSource(int port, int shardCount, long entriesPerShard, boolean aggregated, int recordSize,
            int userRecordsPerAggregate, double appendPerSecond) throws IOException {
        if (shardCount < 1 || entriesPerShard < 0 || recordSize < 1 || userRecordsPerAggregate < 1
                || appendPerSecond < 0) {
            throw new IllegalArgumentException("shards " + shardCount + ", entries per shard " + entriesPerShard
                    + ", record size " + recordSize + ", records per aggregate " + userRecordsPerAggregate);
        }
        this.shardCount = shardCount;
        this.entriesPerShard = entriesPerShard;
        this.appendPerSecond = appendPerSecond;
        this.aggregated = aggregated;
        this.userRecordsPerEntry = aggregated ? userRecordsPerAggregate : 1;
        this.shardIds = new String[shardCount];
        this.startKeys = new String[shardCount];
        this.endKeys = new String[shardCount];
        this.dataBase64 = new String[shardCount][VARIANTS];
        this.dataLength = new int[shardCount][VARIANTS];
        this.partitionKeys = new String[shardCount][];
        BigInteger step = HASH_SPACE.divide(BigInteger.valueOf(shardCount));
        BigInteger[] starts = new BigInteger[shardCount];
        BigInteger[] ends = new BigInteger[shardCount];
        for (int i = 0; i < shardCount; i++) {
            starts[i] = step.multiply(BigInteger.valueOf(i));
            ends[i] = i == shardCount - 1 ? HASH_SPACE.subtract(BigInteger.ONE)
                    : step.multiply(BigInteger.valueOf(i + 1)).subtract(BigInteger.ONE);
            startKeys[i] = starts[i].toString();
            endKeys[i] = ends[i].toString();
            shardIds[i] = String.format(Locale.ROOT, "shardId-%012d", i);
        }
        findPartitionKeys(starts, ends);
        byte[] payload = new byte[recordSize];
        Base64.Encoder b64 = Base64.getEncoder();
        for (int s = 0; s < shardCount; s++) {
            for (int v = 0; v < VARIANTS; v++) {
                byte[] data;
                if (aggregated) {
                    AggregateEncoder encoder = new AggregateEncoder();
                    for (int r = 0; r < userRecordsPerAggregate; r++) {
                        fill(payload, s, v, r);
                        encoder.add(partitionKeys[s][(v + r) % KEYS_PER_SHARD], null, payload.clone());
                    }
                    data = encoder.toByteArray();
                } else {
                    fill(payload, s, v, 0);
                    data = payload.clone();
                }
                dataBase64[s][v] = b64.encodeToString(data);
                dataLength[s][v] = data.length;
            }
        }
        AtomicInteger threadIds = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(Math.max(4, Math.min(shardCount, 16)), r -> {
            Thread t = new Thread(r, "source-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /**
     * Starts a source on {@code port} (0: a free one) with {@code shards} shards of {@code entriesPerShard} entries,
     * each a plain record of {@code recordSize} bytes or (if {@code aggregated}) an aggregate of
     * {@code userRecordsPerAggregate} of them.
     */
    public static GetRecordsSource start(int port, int shards, long entriesPerShard, boolean aggregated,
            int recordSize, int userRecordsPerAggregate) throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true"); // see PutRecordsSink.start
        }
        return start(port, shards, entriesPerShard, aggregated, recordSize, userRecordsPerAggregate, 0);
    }

    /**
     * As {@link #start(int, int, long, boolean, int, int)}, but every shard grows by {@code appendPerSecond} entries
     * per second after start: a live stream at a low rate, for takeover runs (a worker that takes a shard over sees
     * new records arrive rather than a backlog it can read at full speed).
     */
    public static GetRecordsSource start(int port, int shards, long entriesPerShard, boolean aggregated,
            int recordSize, int userRecordsPerAggregate, double appendPerSecond) throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true"); // see PutRecordsSink.start
        }
        return new GetRecordsSource(port, shards, entriesPerShard, aggregated, recordSize, userRecordsPerAggregate,
                appendPerSecond);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public String shardId(int index) {
        return shardIds[index];
    }

    public int shardCount() {
        return shardCount;
    }

    public long entriesPerShard() {
        return entriesPerShard;
    }

    /** Entries in every shard now: the pre-filled ones plus those appended since start. */
    long tip() {
        return entriesPerShard + (long) (appendPerSecond * (System.nanoTime() - startNanos) / 1e9);
    }

    /** User records in one entry: 1, or the records per aggregate. */
    public int userRecordsPerEntry() {
        return userRecordsPerEntry;
    }

    /** Size of one entry's data in bytes (shard 0, first variant; the other variants differ by a few bytes). */
    public int entryDataBytes() {
        return dataLength[0][0];
    }

    /** The sequence number of entry {@code index} of shard {@code shard}. */
    public static String sequenceNumber(int shard, long index) {
        return String.format(Locale.ROOT, "49%016d%018d%020d", 1_700_000_000L, shard, index);
    }

    static long indexOf(String sequenceNumber) {
        if (sequenceNumber == null || sequenceNumber.length() != 56) {
            throw new IllegalArgumentException("not a sequence number of this source: " + sequenceNumber);
        }
        return Long.parseLong(sequenceNumber.substring(36));
    }

    public String stats() {
        return "GetRecords calls " + getRecordsCalls.sum() + ", entries served " + entriesServed.sum()
                + ", other calls " + otherCalls.sum();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static void fill(byte[] payload, int shard, int variant, int record) {
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) ('a' + (i + shard * 7 + variant * 3 + record) % 26);
        }
    }

    private void findPartitionKeys(BigInteger[] starts, BigInteger[] ends) {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<List<String>> found = new ArrayList<>();
        for (int i = 0; i < shardCount; i++) {
            found.add(new ArrayList<>());
        }
        int remaining = shardCount;
        for (long n = 0; remaining > 0; n++) {
            String key = "pk-" + n;
            BigInteger hash = new BigInteger(1, md5.digest(key.getBytes(StandardCharsets.UTF_8)));
            int shard = hash.divide(starts.length == 1 ? HASH_SPACE : starts[1]).intValue();
            shard = Math.min(shard, shardCount - 1);
            while (hash.compareTo(starts[shard]) < 0) {
                shard--;
            }
            while (hash.compareTo(ends[shard]) > 0) {
                shard++;
            }
            List<String> keys = found.get(shard);
            if (keys.size() < KEYS_PER_SHARD) {
                keys.add(key);
                if (keys.size() == KEYS_PER_SHARD) {
                    remaining--;
                }
            }
        }
        for (int i = 0; i < shardCount; i++) {
            partitionKeys[i] = found.get(i).toArray(String[]::new);
        }
    }

    // ---- HTTP ----

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String op = target != null && target.startsWith(TARGET_PREFIX) ? target.substring(TARGET_PREFIX.length())
                    : "";
            Map<String, String> request = parseFlat(body);
            ByteArrayOutputStream out = new ByteArrayOutputStream(op.equals("GetRecords") ? 1 << 20 : 512);
            int status = 200;
            try (JsonGenerator g = json.createGenerator(out)) {
                switch (op) {
                    case "GetRecords" -> getRecords(g, request);
                    case "GetShardIterator" -> getShardIterator(g, request);
                    case "ListShards" -> listShards(g, request);
                    case "DescribeStreamSummary" -> describeStreamSummary(g, request);
                    default -> {
                        // a client that needs more than this source serves shows up here (the consumer race's
                        // KCL children print their standard error)
                        System.err.println("GetRecordsSource: unsupported operation " + target);
                        status = 400;
                        error(g, "UnknownOperationException", "not served by GetRecordsSource: " + op);
                    }
                }
            } catch (IllegalArgumentException e) {
                out.reset();
                status = 400;
                try (JsonGenerator g = json.createGenerator(out)) {
                    error(g, "InvalidArgumentException", e.getMessage());
                }
            }
            if (!op.equals("GetRecords")) {
                otherCalls.increment();
            }
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(status, out.size());
            try (OutputStream os = exchange.getResponseBody()) {
                out.writeTo(os);
            }
        }
    }

    private static void error(JsonGenerator g, String type, String message) throws IOException {
        g.writeStartObject();
        g.writeStringField("__type", type);
        g.writeStringField("message", message);
        g.writeEndObject();
    }

    /** Top-level scalar fields of a JSON object as strings; nested objects and arrays are skipped. */
    private Map<String, String> parseFlat(byte[] body) throws IOException {
        Map<String, String> fields = new HashMap<>();
        if (body.length == 0) {
            return fields;
        }
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return fields;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    p.skipChildren();
                } else {
                    fields.put(name, p.getValueAsString());
                }
            }
        }
        return fields;
    }

    private int shardIndex(String shardId) {
        for (int i = 0; i < shardCount; i++) {
            if (shardIds[i].equals(shardId)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown shard " + shardId);
    }

    private void getShardIterator(JsonGenerator g, Map<String, String> request) throws IOException {
        int shard = shardIndex(request.get("ShardId"));
        String type = request.getOrDefault("ShardIteratorType", "");
        long tip = tip();
        long position = switch (type) {
            case "TRIM_HORIZON" -> 0;
            case "LATEST" -> tip;
            case "AT_SEQUENCE_NUMBER" -> indexOf(request.get("StartingSequenceNumber"));
            case "AFTER_SEQUENCE_NUMBER" -> indexOf(request.get("StartingSequenceNumber")) + 1;
            default -> throw new IllegalArgumentException("unsupported ShardIteratorType " + type);
        };
        g.writeStartObject();
        g.writeStringField("ShardIterator", iterator(shard, Math.min(position, tip)));
        g.writeEndObject();
    }

    private static String iterator(int shard, long position) {
        return ITERATOR_PREFIX + shard + "-" + position;
    }

    private void getRecords(JsonGenerator g, Map<String, String> request) throws IOException {
        String it = request.get("ShardIterator");
        int shard;
        long position;
        try {
            int dash = it.indexOf('-', ITERATOR_PREFIX.length());
            shard = Integer.parseInt(it.substring(ITERATOR_PREFIX.length(), dash));
            position = Long.parseLong(it.substring(dash + 1));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid ShardIterator " + it);
        }
        if (shard < 0 || shard >= shardCount) {
            throw new IllegalArgumentException("invalid ShardIterator " + it);
        }
        int limit = request.containsKey("Limit") ? Integer.parseInt(request.get("Limit")) : MAX_LIMIT;
        limit = Math.max(1, Math.min(limit, MAX_LIMIT));
        getRecordsCalls.increment();
        long tip = tip();
        g.writeStartObject();
        g.writeArrayFieldStart("Records");
        long index = position;
        long bytes = 0;
        int n = 0;
        while (index < tip && n < limit && (n == 0 || bytes + dataLength[shard][0]
                <= MAX_RESPONSE_DATA_BYTES)) {
            int variant = (int) (index % VARIANTS);
            g.writeStartObject();
            g.writeStringField("SequenceNumber", sequenceNumber(shard, index));
            g.writeNumberField("ApproximateArrivalTimestamp", (baseArrivalMillis + index) / 1000.0);
            g.writeStringField("Data", dataBase64[shard][variant]);
            g.writeStringField("PartitionKey", partitionKeys[shard][(int) (index % KEYS_PER_SHARD)]);
            g.writeEndObject();
            bytes += dataLength[shard][variant];
            index++;
            n++;
        }
        g.writeEndArray();
        entriesServed.add(n);
        g.writeStringField("NextShardIterator", iterator(shard, index));
        g.writeNumberField("MillisBehindLatest", tip - index);
        g.writeEndObject();
    }

    private void listShards(JsonGenerator g, Map<String, String> request) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("Shards");
        for (int i = 0; i < shardCount; i++) {
            g.writeStartObject();
            g.writeStringField("ShardId", shardIds[i]);
            g.writeObjectFieldStart("HashKeyRange");
            g.writeStringField("StartingHashKey", startKeys[i]);
            g.writeStringField("EndingHashKey", endKeys[i]);
            g.writeEndObject();
            g.writeObjectFieldStart("SequenceNumberRange");
            g.writeStringField("StartingSequenceNumber", sequenceNumber(i, 0));
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private void describeStreamSummary(JsonGenerator g, Map<String, String> request) throws IOException {
        String name = request.getOrDefault("StreamName", "bench");
        g.writeStartObject();
        g.writeObjectFieldStart("StreamDescriptionSummary");
        g.writeStringField("StreamName", name);
        g.writeStringField("StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/" + name);
        g.writeStringField("StreamStatus", "ACTIVE");
        g.writeObjectFieldStart("StreamModeDetails");
        g.writeStringField("StreamMode", "PROVISIONED");
        g.writeEndObject();
        g.writeNumberField("RetentionPeriodHours", 24);
        g.writeNumberField("StreamCreationTimestamp", baseArrivalMillis / 1000.0);
        g.writeArrayFieldStart("EnhancedMonitoring");
        g.writeEndArray();
        g.writeStringField("EncryptionType", "NONE");
        g.writeNumberField("OpenShardCount", shardCount);
        g.writeNumberField("ConsumerCount", 0);
        g.writeEndObject();
        g.writeEndObject();
    }

    /**
     * Standalone: {@code --port P --shards S --entries-per-shard N --aggregated true|false --record-size B
     * --records-per-aggregate K [--dynamodb true]}. Prints {@code SOURCE_PORT=<port>} (and
     * {@code DYNAMODB_ENDPOINT=<uri>} with {@code --dynamodb true}: DynamoDB Local from testkit in this process, so
     * its CPU is not the consumer's), then {@code READY}; stops when standard input closes.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        GetRecordsSource source = start(Integer.parseInt(opts.getOrDefault("--port", "0")),
                Integer.parseInt(opts.getOrDefault("--shards", "4")),
                Long.parseLong(opts.getOrDefault("--entries-per-shard", "100000")),
                Boolean.parseBoolean(opts.getOrDefault("--aggregated", "false")),
                Integer.parseInt(opts.getOrDefault("--record-size", "100")),
                Integer.parseInt(opts.getOrDefault("--records-per-aggregate", "480")));
        System.out.println("SOURCE_PORT=" + source.endpoint().getPort());
        AutoCloseable dynamo = null;
        if (Boolean.parseBoolean(opts.getOrDefault("--dynamodb", "false"))) {
            io.purekinesis.testkit.LocalDynamoDb ddb = io.purekinesis.testkit.LocalDynamoDb.start();
            dynamo = ddb;
            System.out.println("DYNAMODB_ENDPOINT=" + ddb.endpoint());
        }
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the parent to close our standard input (or die)
        }
        System.err.println("source: " + source.stats());
        source.close();
        if (dynamo != null) {
            dynamo.close();
        }
        System.exit(0);
    }
}
