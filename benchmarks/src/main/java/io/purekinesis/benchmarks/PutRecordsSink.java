package io.purekinesis.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fast local stand-in for Kinesis that accepts everything and counts it, so the producer's throughput can be
 * measured without the network or the (slow) emulator. It speaks the Kinesis protocol over plain HTTP/1.1
 * ({@code X-Amz-Target: Kinesis_20131202.<Op>}) in both of the SDK's encodings, CBOR
 * ({@code application/x-amz-cbor-1.1}, the SDK's default for Kinesis) and JSON ({@code application/x-amz-json-1.1},
 * with {@code aws.cborEnabled=false}; KPL's daemon): each request is answered in the encoding of its
 * {@code Content-Type} ({@link WireProtocol}), with the same semantics, for the operations the producer calls:
 * <ul>
 *   <li>{@code PutRecords}: every entry succeeds; its {@code ShardId} is the shard whose hash key range holds the
 *       entry's {@code ExplicitHashKey}, or else the MD5 of its {@code PartitionKey}, and its {@code SequenceNumber}
 *       increases per shard. The stream name is not checked: every stream has the same shards.</li>
 *   <li>{@code ListShards}: N open shards splitting [0, 2^128-1] evenly (as AWS does for a new stream), with
 *       {@code MaxResults}/{@code NextToken} paging and {@code ExclusiveStartShardId}.</li>
 *   <li>{@code DescribeStreamSummary}: ACTIVE, N open shards.</li>
 * </ul>
 * Errors carry {@code __type} and {@code message} (and the {@code x-amzn-ErrorType} header) in the request's encoding,
 * which is where the SDK's JSON and CBOR error unmarshallers both look. There is no HTTP/2: build the Netty client with
 * {@code Protocol.HTTP1_1} (the Kinesis client otherwise defaults to h2c on an {@code http://} endpoint).
 *
 * <p>Besides the Kinesis operations: {@code GET /stats} returns the counters as JSON, and
 * {@code POST /control?paused=true|false&delayMs=N&failFraction=F&shardLimits=true|false} pauses responses
 * (requests are read and counted, then the handler waits until resumed), delays each PutRecords response, fails a
 * random fraction F of the entries with {@code ProvisionedThroughputExceededException}, or enforces Kinesis's
 * per-shard write limits (1,000 entries/s and 1 MiB/s per shard, each a bucket holding one second): entries over
 * them fail the same way. Failed entries are counted in {@code throttledEntries}, not in the stored counts, so the
 * user records counted are those Kinesis would have stored.
 *
 * <p>Counting ({@link CountMode}): {@code ENTRIES} counts Kinesis entries and their bytes only (no Base64
 * decoding in JSON, no copy of the byte string in CBOR; user records are then unknown); {@code RECORDS} (default)
 * decodes each entry's data (Base64 in JSON; in CBOR it arrives as raw bytes) and counts the user records of an
 * aggregate by walking its protobuf tags, without checking the digest; {@code DECODE} fully de-aggregates with
 * {@code AggregateDecoder} (checks the digest, costs the most CPU).
 *
 * <p>Standalone: {@code java -cp <classpath> io.purekinesis.benchmarks.PutRecordsSink --port 4590 --shards 4}.
 * With {@code --tls true} it serves HTTPS instead (a self-signed key pair made at start with {@code keytool}), for
 * KPL, whose native daemon speaks only HTTPS. It prints {@code SINK_PORT=<port>} once listening and stops on SIGTERM (with {@code --exit-on-stdin-eof true},
 * also when its standard input closes, so a parent process that dies takes it down).
 */
public final class PutRecordsSink implements AutoCloseable {

    /** How much of each entry the sink decodes to count it. */
    public enum CountMode { ENTRIES, RECORDS, DECODE }

    static final String TARGET_PREFIX = "Kinesis_20131202.";
    private static final BigInteger HASH_SPACE = BigInteger.ONE.shiftLeft(128);
    private static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
    private static final String TOKEN_PREFIX = "sink-token-";

    private final HttpServer server;
    private final String scheme;
    private final ExecutorService executor;
    private final int shardCount;
    private final long[] startHi;
    private final long[] startLo;
    private final String[] startKeys;
    private final String[] endKeys;
    private final String[] shardIds;
    private final AtomicLong[] sequences;
    private final CountMode countMode;
    private final ThreadLocal<MessageDigest> md5 = ThreadLocal.withInitial(PutRecordsSink::newMd5);

    private final LongAdder putRecordsCalls = new LongAdder();
    private final LongAdder entries = new LongAdder();
    private final LongAdder dataBytes = new LongAdder();
    private final LongAdder userRecords = new LongAdder();
    private final LongAdder otherCalls = new LongAdder();
    private final AtomicLongArray entriesPerShard;
    private final Object pauseLock = new Object();
    private volatile boolean paused;
    private volatile long delayMillis;
    private final AtomicInteger waiting = new AtomicInteger();
    private final LongAdder throttledEntries = new LongAdder();
    private volatile double failFraction;
    private volatile ShardLimits[] shardLimits;

    private PutRecordsSink(int port, int shardCount, CountMode countMode, boolean tls) throws IOException {
        if (shardCount < 1) {
            throw new IllegalArgumentException("shards must be at least 1, was " + shardCount);
        }
        this.shardCount = shardCount;
        this.countMode = countMode;
        this.startHi = new long[shardCount];
        this.startLo = new long[shardCount];
        this.startKeys = new String[shardCount];
        this.endKeys = new String[shardCount];
        this.shardIds = new String[shardCount];
        this.sequences = new AtomicLong[shardCount];
        this.entriesPerShard = new AtomicLongArray(shardCount);
        BigInteger step = HASH_SPACE.divide(BigInteger.valueOf(shardCount));
        for (int i = 0; i < shardCount; i++) {
            BigInteger start = step.multiply(BigInteger.valueOf(i));
            BigInteger end = i == shardCount - 1 ? HASH_SPACE.subtract(BigInteger.ONE)
                    : step.multiply(BigInteger.valueOf(i + 1)).subtract(BigInteger.ONE);
            startHi[i] = start.shiftRight(64).longValue();
            startLo[i] = start.longValue();
            startKeys[i] = start.toString();
            endKeys[i] = end.toString();
            shardIds[i] = String.format(Locale.ROOT, "shardId-%012d", i);
            sequences[i] = new AtomicLong();
        }
        AtomicInteger threadIds = new AtomicInteger();
        // Unbounded: a paused request holds its thread, and /control must still get one to resume them. The JDK
        // server runs one exchange per connection at a time, so threads stay at most the client's connections.
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sink-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        if (tls) {
            HttpsServer https = HttpsServer.create(address, 1024);
            try {
                https.setHttpsConfigurator(new HttpsConfigurator(SelfSignedTls.serverContext()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while making the TLS key pair", e);
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException("could not set up TLS", e);
            }
            this.server = https;
        } else {
            this.server = HttpServer.create(address, 1024);
        }
        this.scheme = tls ? "https" : "http";
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Starts a sink on {@code port} (0 picks a free one) with {@code shards} even shards. */
    public static PutRecordsSink start(int port, int shards, CountMode countMode) throws IOException {
        return start(port, shards, countMode, false);
    }

    /**
     * As {@link #start(int, int, CountMode)}, over HTTPS when {@code tls} (a self-signed key pair made at start,
     * for clients that speak only HTTPS, such as KPL's native daemon).
     */
    public static PutRecordsSink start(int port, int shards, CountMode countMode, boolean tls) throws IOException {
        // The JDK server writes response headers and body separately; without TCP_NODELAY, Nagle's algorithm and
        // the client's delayed ACK hold each response ~40 ms, which throttles the producer to a few calls per
        // second per connection. Read once, when the server classes load.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        return new PutRecordsSink(port, shards, countMode, tls);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public URI endpoint() {
        return URI.create(scheme + "://127.0.0.1:" + port());
    }

    public int shardCount() {
        return shardCount;
    }

    /** The shard id of shard {@code index} ({@code shardId-000000000000} first). */
    public String shardId(int index) {
        return shardIds[index];
    }

    /** While paused, requests are read and counted but not answered (the SDK's timeouts still apply). */
    public void setPaused(boolean value) {
        synchronized (pauseLock) {
            paused = value;
            pauseLock.notifyAll();
        }
    }

    public void setDelayMillis(long value) {
        delayMillis = Math.max(0, value);
    }

    /** Fails this fraction (0..1) of PutRecords entries, at random, with ProvisionedThroughputExceededException. */
    public void setFailFraction(double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("failFraction must be in [0, 1], was " + value);
        }
        failFraction = value;
    }

    /** Enforces (or stops enforcing) 1,000 entries/s and 1 MiB/s per shard, as Kinesis does. */
    public void setShardLimits(boolean on) {
        if (!on) {
            shardLimits = null;
            return;
        }
        ShardLimits[] limits = new ShardLimits[shardCount];
        for (int i = 0; i < shardCount; i++) {
            limits[i] = new ShardLimits(System.nanoTime());
        }
        shardLimits = limits;
    }

    /** One shard's write allowance: two token buckets of one second each, refilled continuously. */
    private static final class ShardLimits {
        private static final double RECORDS_PER_SECOND = 1000;
        private static final double BYTES_PER_SECOND = 1024 * 1024;
        private double records = RECORDS_PER_SECOND;
        private double bytes = BYTES_PER_SECOND;
        private long lastNanos;

        ShardLimits(long now) {
            this.lastNanos = now;
        }

        synchronized boolean tryTake(long entryBytes, long now) {
            double seconds = (now - lastNanos) / 1e9;
            lastNanos = now;
            records = Math.min(RECORDS_PER_SECOND, records + seconds * RECORDS_PER_SECOND);
            bytes = Math.min(BYTES_PER_SECOND, bytes + seconds * BYTES_PER_SECOND);
            if (records < 1 || bytes < entryBytes) {
                return false;
            }
            records -= 1;
            bytes -= entryBytes;
            return true;
        }
    }

    /** The counters now. */
    public Stats stats() {
        long[] perShard = new long[shardCount];
        for (int i = 0; i < shardCount; i++) {
            perShard[i] = entriesPerShard.get(i);
        }
        long cpu = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            cpu = os.getProcessCpuTime();
        }
        return new Stats(putRecordsCalls.sum(), entries.sum(), dataBytes.sum(),
                countMode == CountMode.ENTRIES ? -1 : userRecords.sum(), otherCalls.sum(), perShard, waiting.get(),
                cpu, throttledEntries.sum());
    }

    @Override
    public void close() {
        setPaused(false);
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * Counters since start. {@code userRecords} is -1 in {@link CountMode#ENTRIES}; {@code dataBytes} is the
     * decoded size of the entries' data; {@code cpuNanos} is the sink process's CPU time (-1 if unknown);
     * {@code throttledEntries} the entries answered with ProvisionedThroughputExceededException (not stored, so not
     * in the other counts).
     */
    public record Stats(long putRecordsCalls, long entries, long dataBytes, long userRecords, long otherCalls,
            long[] entriesPerShard, int pausedRequests, long cpuNanos, long throttledEntries) {

        String toJson() {
            StringBuilder sb = new StringBuilder(128 + 24 * entriesPerShard.length);
            sb.append("{\"putRecordsCalls\":").append(putRecordsCalls)
                    .append(",\"entries\":").append(entries)
                    .append(",\"dataBytes\":").append(dataBytes)
                    .append(",\"userRecords\":").append(userRecords)
                    .append(",\"otherCalls\":").append(otherCalls)
                    .append(",\"pausedRequests\":").append(pausedRequests)
                    .append(",\"cpuNanos\":").append(cpuNanos)
                    .append(",\"throttledEntries\":").append(throttledEntries)
                    .append(",\"entriesPerShard\":[");
            for (int i = 0; i < entriesPerShard.length; i++) {
                sb.append(i == 0 ? "" : ",").append(entriesPerShard[i]);
            }
            return sb.append("]}").toString();
        }

        static Stats fromJson(JsonFactory json, byte[] body) throws IOException {
            long calls = 0;
            long entries = 0;
            long bytes = 0;
            long records = 0;
            long other = 0;
            long cpu = -1;
            long throttled = 0;
            int paused = 0;
            List<Long> perShard = new ArrayList<>();
            try (JsonParser p = json.createParser(body)) {
                expect(p.nextToken(), JsonToken.START_OBJECT);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken t = p.nextToken();
                    switch (name) {
                        case "putRecordsCalls" -> calls = p.getLongValue();
                        case "entries" -> entries = p.getLongValue();
                        case "dataBytes" -> bytes = p.getLongValue();
                        case "userRecords" -> records = p.getLongValue();
                        case "otherCalls" -> other = p.getLongValue();
                        case "pausedRequests" -> paused = p.getIntValue();
                        case "cpuNanos" -> cpu = p.getLongValue();
                        case "throttledEntries" -> throttled = p.getLongValue();
                        case "entriesPerShard" -> {
                            while (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                                perShard.add(p.getLongValue());
                            }
                        }
                        default -> {
                            if (t.isStructStart()) {
                                p.skipChildren();
                            }
                        }
                    }
                }
            }
            return new Stats(calls, entries, bytes, records, other,
                    perShard.stream().mapToLong(Long::longValue).toArray(), paused, cpu, throttled);
        }
    }

    // ---- HTTP ----

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            if (target != null) {
                handleKinesis(exchange, target);
            } else if (path.equals("/stats")) {
                drain(exchange);
                send(exchange, 200, "application/json", stats().toJson().getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/control")) {
                drain(exchange);
                control(exchange.getRequestURI().getRawQuery());
                send(exchange, 200, "application/json", stats().toJson().getBytes(StandardCharsets.UTF_8));
            } else {
                drain(exchange);
                send(exchange, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (RuntimeException | IOException e) {
            // The client may have given up (timeout); nothing to answer.
            if (!(e instanceof IOException)) {
                System.err.println("sink: " + e);
            }
        }
    }

    private void control(String query) {
        if (query == null) {
            return;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            switch (key) {
                case "paused" -> setPaused(Boolean.parseBoolean(value));
                case "delayMs" -> setDelayMillis(Long.parseLong(value));
                case "failFraction" -> setFailFraction(Double.parseDouble(value));
                case "shardLimits" -> setShardLimits(Boolean.parseBoolean(value));
                default -> throw new IllegalArgumentException("unknown control " + key);
            }
        }
    }

    private void handleKinesis(HttpExchange exchange, String target) throws IOException {
        String op = target.startsWith(TARGET_PREFIX) ? target.substring(TARGET_PREFIX.length()) : target;
        WireProtocol wire = WireProtocol.ofContentType(exchange.getRequestHeaders().getFirst("Content-Type"));
        byte[] response;
        try (InputStream in = exchange.getRequestBody()) {
            switch (op) {
                case "PutRecords" -> {
                    response = putRecords(wire, in);
                    awaitResume();
                }
                case "ListShards" -> {
                    otherCalls.increment();
                    response = listShards(wire, in);
                }
                case "DescribeStreamSummary" -> {
                    otherCalls.increment();
                    response = describeStreamSummary(wire, in);
                }
                default -> {
                    otherCalls.increment();
                    in.transferTo(OutputStream.nullOutputStream());
                    sendError(exchange, wire, "UnknownOperationException", "the sink does not implement " + op);
                    return;
                }
            }
        } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
            sendError(exchange, wire, "InvalidArgumentException", e.getMessage());
            return;
        }
        send(exchange, 200, wire.contentType(), response);
    }

    private void awaitResume() {
        long delay = delayMillis;
        try {
            if (delay > 0) {
                Thread.sleep(delay);
            }
            if (paused) {
                waiting.incrementAndGet();
                try {
                    synchronized (pauseLock) {
                        while (paused) {
                            pauseLock.wait();
                        }
                    }
                } finally {
                    waiting.decrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private byte[] putRecords(WireProtocol wire, InputStream in) throws IOException {
        int capacity = 512;
        int[] shardOf = new int[capacity];
        long[] seqOf = new long[capacity];
        int n = 0;
        int failed = 0;
        long bytes = 0;
        long records = 0;
        double fail = failFraction;
        ShardLimits[] limits = shardLimits;
        long now = limits == null ? 0 : System.nanoTime();
        try (JsonParser p = wire.factory().createParser(in)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (!name.equals("Records")) {
                    if (t.isStructStart()) {
                        p.skipChildren();
                    }
                    continue;
                }
                expect(t, JsonToken.START_ARRAY);
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    String partitionKey = null;
                    String explicitHashKey = null;
                    byte[] data = null;
                    long dataLength = 0;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken v = p.nextToken();
                        switch (field) {
                            case "PartitionKey" -> partitionKey = p.getText();
                            case "ExplicitHashKey" -> explicitHashKey = p.getText();
                            case "Data" -> {
                                if (countMode == CountMode.ENTRIES) {
                                    dataLength = wire.dataLength(p);
                                } else {
                                    // Base64-decodes in JSON; in CBOR, the byte string as sent.
                                    data = p.getBinaryValue();
                                    dataLength = data.length;
                                }
                            }
                            default -> {
                                if (v.isStructStart()) {
                                    p.skipChildren();
                                }
                            }
                        }
                    }
                    if (partitionKey == null) {
                        throw new IllegalArgumentException("a PutRecords entry has no PartitionKey");
                    }
                    int shard = shardFor(partitionKey, explicitHashKey);
                    if (n == capacity) {
                        capacity *= 2;
                        shardOf = java.util.Arrays.copyOf(shardOf, capacity);
                        seqOf = java.util.Arrays.copyOf(seqOf, capacity);
                    }
                    shardOf[n] = shard;
                    n++;
                    long entryBytes = dataLength + partitionKey.length();
                    if ((fail > 0 && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < fail)
                            || (limits != null && !limits[shard].tryTake(entryBytes, now))) {
                        seqOf[n - 1] = -1; // throttled: not stored, not counted
                        failed++;
                        continue;
                    }
                    seqOf[n - 1] = sequences[shard].incrementAndGet();
                    bytes += dataLength;
                    if (data != null) {
                        records += countMode == CountMode.DECODE
                                ? io.purekinesis.aggregation.AggregateDecoder.decode(data, partitionKey,
                                        explicitHashKey).size()
                                : countUserRecords(data);
                    }
                }
            }
        }
        putRecordsCalls.increment();
        entries.add(n - failed);
        throttledEntries.add(failed);
        dataBytes.add(bytes);
        userRecords.add(records);
        for (int i = 0; i < n; i++) {
            if (seqOf[i] >= 0) {
                entriesPerShard.incrementAndGet(shardOf[i]);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + n * 96);
        try (JsonGenerator g = wire.factory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("FailedRecordCount", failed);
            g.writeArrayFieldStart("Records");
            char[] seq = new char[40];
            for (int i = 0; i < n; i++) {
                g.writeStartObject();
                if (seqOf[i] < 0) {
                    g.writeStringField("ErrorCode", "ProvisionedThroughputExceededException");
                    g.writeStringField("ErrorMessage", "Rate exceeded for shard " + shardIds[shardOf[i]]
                            + " in stream bench under account 000000000000.");
                    g.writeEndObject();
                    continue;
                }
                g.writeFieldName("SequenceNumber");
                int len = sequenceNumber(shardOf[i], seqOf[i], seq);
                g.writeString(seq, 0, len);
                g.writeStringField("ShardId", shardIds[shardOf[i]]);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * A 40-digit decimal sequence number that increases per shard, shaped like AWS's: "49", the shard index in 6
     * digits, then the shard's counter in 32 digits.
     */
    static int sequenceNumber(int shard, long counter, char[] into) {
        into[0] = '4';
        into[1] = '9';
        long s = shard;
        for (int i = 7; i >= 2; i--) {
            into[i] = (char) ('0' + s % 10);
            s /= 10;
        }
        long c = counter;
        for (int i = 39; i >= 8; i--) {
            into[i] = (char) ('0' + c % 10);
            c /= 10;
        }
        return 40;
    }

    /**
     * User records in one entry's data: 1 for plain data; for an aggregate (magic prefix), the number of top-level
     * field-3 ({@code records}) entries of its protobuf body. The digest is not checked.
     */
    static int countUserRecords(byte[] data) {
        if (data.length < MAGIC.length + 16 || data[0] != MAGIC[0] || data[1] != MAGIC[1] || data[2] != MAGIC[2]
                || data[3] != MAGIC[3]) {
            return 1;
        }
        int end = data.length - 16;
        int pos = MAGIC.length;
        int count = 0;
        while (pos < end) {
            long tag = 0;
            int shift = 0;
            byte b;
            do {
                b = data[pos++];
                tag |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while (b < 0 && pos < end);
            int wireType = (int) (tag & 7);
            if (wireType == 2) {
                long len = 0;
                shift = 0;
                do {
                    b = data[pos++];
                    len |= (long) (b & 0x7F) << shift;
                    shift += 7;
                } while (b < 0 && pos < end);
                pos += (int) len;
                if ((tag >>> 3) == 3) {
                    count++;
                }
            } else if (wireType == 0) {
                while (pos < end && data[pos++] < 0) {
                    // skip varint
                }
            } else {
                return 1; // not what the KPL writes: treat as plain data
            }
        }
        return count == 0 ? 1 : count;
    }

    /** Index of the shard holding the entry's hash key. */
    int shardFor(String partitionKey, String explicitHashKey) {
        long hi;
        long lo;
        if (explicitHashKey != null) {
            BigInteger key = new BigInteger(explicitHashKey);
            if (key.signum() < 0 || key.bitLength() > 128) {
                throw new IllegalArgumentException("ExplicitHashKey out of range: " + explicitHashKey);
            }
            hi = key.shiftRight(64).longValue();
            lo = key.longValue();
        } else {
            MessageDigest digest = md5.get();
            byte[] h = digest.digest(partitionKey.getBytes(StandardCharsets.UTF_8));
            hi = toLong(h, 0);
            lo = toLong(h, 8);
        }
        return shardIndex(hi, lo);
    }

    /** Binary search: the last shard whose starting hash key is at most (hi, lo), unsigned 128-bit order. */
    int shardIndex(long hi, long lo) {
        int low = 0;
        int high = shardCount - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            int c = Long.compareUnsigned(startHi[mid], hi);
            if (c == 0) {
                c = Long.compareUnsigned(startLo[mid], lo);
            }
            if (c <= 0) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    private static long toLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    private byte[] listShards(WireProtocol wire, InputStream in) throws IOException {
        int maxResults = 1000;
        int from = 0;
        try (JsonParser p = wire.factory().createParser(in)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "MaxResults" -> maxResults = p.getIntValue();
                    case "NextToken" -> {
                        String token = p.getText();
                        if (!token.startsWith(TOKEN_PREFIX)) {
                            throw new IllegalArgumentException("invalid NextToken " + token);
                        }
                        from = Integer.parseInt(token.substring(TOKEN_PREFIX.length()));
                    }
                    case "ExclusiveStartShardId" -> {
                        String after = p.getText();
                        from = 0;
                        while (from < shardCount && shardIds[from].compareTo(after) <= 0) {
                            from++;
                        }
                    }
                    default -> {
                        if (t.isStructStart()) {
                            p.skipChildren();
                        }
                    }
                }
            }
        }
        if (maxResults < 1 || maxResults > 10_000) {
            throw new IllegalArgumentException("MaxResults must be in [1, 10000], was " + maxResults);
        }
        int to = Math.min(shardCount, from + maxResults);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = wire.factory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("Shards");
            char[] seq = new char[40];
            for (int i = from; i < to; i++) {
                g.writeStartObject();
                g.writeStringField("ShardId", shardIds[i]);
                g.writeObjectFieldStart("HashKeyRange");
                g.writeStringField("StartingHashKey", startKeys[i]);
                g.writeStringField("EndingHashKey", endKeys[i]);
                g.writeEndObject();
                g.writeObjectFieldStart("SequenceNumberRange");
                g.writeFieldName("StartingSequenceNumber");
                g.writeString(seq, 0, sequenceNumber(i, 0, seq));
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            if (to < shardCount) {
                g.writeStringField("NextToken", TOKEN_PREFIX + to);
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private byte[] describeStreamSummary(WireProtocol wire, InputStream in) throws IOException {
        String stream = "stream";
        String arn = null;
        try (JsonParser p = wire.factory().createParser(in)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("StreamName")) {
                    stream = p.getText();
                } else if (name.equals("StreamARN")) {
                    arn = p.getText();
                    stream = arn.substring(arn.lastIndexOf('/') + 1);
                } else if (t.isStructStart()) {
                    p.skipChildren();
                }
            }
        }
        if (arn == null) {
            arn = "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = wire.factory().createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("StreamDescriptionSummary");
            g.writeStringField("StreamName", stream);
            g.writeStringField("StreamARN", arn);
            g.writeStringField("StreamStatus", "ACTIVE");
            g.writeObjectFieldStart("StreamModeDetails");
            g.writeStringField("StreamMode", "PROVISIONED");
            g.writeEndObject();
            g.writeNumberField("RetentionPeriodHours", 24);
            wire.writeTimestampField(g, "StreamCreationTimestamp", 1_700_000_000L);
            g.writeArrayFieldStart("EnhancedMonitoring");
            g.writeStartObject();
            g.writeArrayFieldStart("ShardLevelMetrics");
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            g.writeStringField("EncryptionType", "NONE");
            // KPL 1.1.1 reads this to decide whether to aggregate, and logs a warning each time it is missing.
            g.writeStringField("RecordDistributionStrategy", "USER_PARTITION_KEY");
            g.writeNumberField("OpenShardCount", shardCount);
            g.writeNumberField("ConsumerCount", 0);
            g.writeEndObject();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void expect(JsonToken actual, JsonToken expected) throws IOException {
        if (actual != expected) {
            throw new com.fasterxml.jackson.core.JsonParseException(null,
                    "expected " + expected + ", found " + actual);
        }
    }

    private void sendError(HttpExchange exchange, WireProtocol wire, String type, String message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = wire.factory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("__type", type);
            g.writeStringField("message", String.valueOf(message));
            g.writeEndObject();
        }
        exchange.getResponseHeaders().set("x-amzn-ErrorType", type);
        send(exchange, 400, wire.contentType(), out.toByteArray());
    }

    private static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", "sink");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- standalone ----

    /**
     * {@code --port P} (default 0: a free port), {@code --shards N} (4), {@code --count entries|records|decode}
     * (records), {@code --paused true|false} (false), {@code --delay-ms D} (0), {@code --fail-fraction F} (0),
     * {@code --shard-limits true|false} (false), {@code --exit-on-stdin-eof
     * true|false} (false; the benchmark sets it so the sink dies with it), {@code --tls true|false} (false: plain
     * HTTP; true: HTTPS with a self-signed key pair made at start).
     */
    public static void main(String[] args) throws Exception {
        int port = 0;
        int shards = 4;
        CountMode mode = CountMode.RECORDS;
        boolean startPaused = false;
        long delay = 0;
        double failFraction = 0;
        boolean limits = false;
        boolean exitOnStdinEof = false;
        boolean tls = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--port" -> port = Integer.parseInt(value);
                case "--shards" -> shards = Integer.parseInt(value);
                case "--count" -> mode = CountMode.valueOf(value.toUpperCase(Locale.ROOT));
                case "--paused" -> startPaused = Boolean.parseBoolean(value);
                case "--delay-ms" -> delay = Long.parseLong(value);
                case "--fail-fraction" -> failFraction = Double.parseDouble(value);
                case "--shard-limits" -> limits = Boolean.parseBoolean(value);
                case "--exit-on-stdin-eof" -> exitOnStdinEof = Boolean.parseBoolean(value);
                case "--tls" -> tls = Boolean.parseBoolean(value);
                default -> throw new IllegalArgumentException("unknown option " + arg
                        + " (known: --port, --shards, --count, --paused, --delay-ms, --fail-fraction, --shard-limits, "
                        + "--exit-on-stdin-eof, --tls)");
            }
        }
        PutRecordsSink sink = start(port, shards, mode, tls);
        sink.setPaused(startPaused);
        sink.setDelayMillis(delay);
        sink.setFailFraction(failFraction);
        sink.setShardLimits(limits);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sink.close();
            stop.countDown();
        }));
        System.out.println("SINK_PORT=" + sink.port());
        System.out.println("PutRecordsSink: " + shards + " shards, count " + mode + ", at " + sink.endpoint()
                + " (GET /stats, POST /control?paused=true|false&delayMs=N)");
        System.out.flush();
        if (!exitOnStdinEof) {
            stop.await();
            return;
        }
        // Stop when stdin closes: the parent (the benchmark) closed it or died.
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // ignore input
                }
            } catch (IOException ignored) {
                // treat as closed
            }
            stop.countDown();
        }, "sink-stdin");
        watcher.setDaemon(true);
        watcher.start();
        stop.await();
        sink.close();
        // Give the shutdown hook's close a moment if a signal triggered it.
        TimeUnit.MILLISECONDS.sleep(10);
        System.exit(0);
    }
}
