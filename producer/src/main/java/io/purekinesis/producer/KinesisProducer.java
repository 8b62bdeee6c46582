package io.purekinesis.producer;

import io.purekinesis.aggregation.HashKeys;
import io.purekinesis.internal.aws.ClientHolder;
import io.purekinesis.internal.retry.Backoff;
import io.purekinesis.producer.internal.AddBackpressure;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.HashKey128;
import io.purekinesis.producer.internal.PartitionKeys;
import io.purekinesis.producer.internal.SafeMetrics;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import io.purekinesis.producer.internal.pipeline.StreamPipeline;
import io.purekinesis.producer.internal.pipeline.StreamRegistry;
import io.purekinesis.producer.internal.retry.ResultHandler;
import io.purekinesis.producer.internal.send.KinesisClients;
import io.purekinesis.producer.internal.send.Sender;
import io.purekinesis.producer.internal.send.Shutdown;
import io.purekinesis.producer.internal.shardmap.ShardMapLoader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Puts user records into Kinesis streams: validates each record in {@code add}, predicts its shard, packs records
 * of the same shard into KPL-compatible aggregated records, collects them into PutRecords calls, rate-limits per
 * shard, sends asynchronously and retries only the entries that failed. Thread-safe; one instance per
 * application is usually right.
 *
 * <p>Every accepted record's future completes exactly once: with a {@link RecordResult}, or with a
 * {@link RecordFailedException} after which the record is also handed to the {@link DeadLetterHandler}. Futures
 * complete, and the handler runs, on the callback executor, never on the sender thread.
 *
 * <p><b>Ordering.</b> Records of one partition key go to the same shard aggregator in {@code add} order (for
 * records added from one thread, or otherwise ordered by the caller); aggregates and plain records of a shard are
 * queued in that order and sent with at most one PutRecords call in flight per shard, so without failures they
 * are stored in {@code add} order. By default a failed entry is retried after a backoff while the shard's later
 * entries continue, so a retry can put a record behind records added after it. With
 * {@link ProducerConfig.Builder#strictOrdering(boolean) strictOrdering}, a shard whose entry failed sends nothing
 * else until that entry is stored or dead-lettered, and each call carries at most one entry per shard: order holds
 * across retries (but a dead-lettered record is simply missing from the sequence).
 *
 * <p><b>Memory.</b> Outstanding records (accepted, future not completed) are bounded by
 * {@link ProducerConfig#maxOutstandingBytes()} (data plus partition key bytes) and
 * {@link ProducerConfig#maxOutstandingRecords()}; see {@link BackpressureMode}.
 *
 * <p><b>Streams.</b> A stream is identified by its name within the producer's region and its credentials'
 * account: a name and an ARN of one stream share one pipeline (so per-key order holds whatever the spelling); an
 * ARN of another region is refused at {@code add}, one of another account once the producer learned the stream's
 * ARN (one DescribeStreamSummary per stream added by ARN). One producer writes to one account's streams. Streams
 * found missing or refusing the producer are remembered for a while (bounded, expiring) and their records fail at
 * once; at most {@value io.purekinesis.producer.internal.pipeline.StreamRegistry#MAX_SHARD_MAP_LOADS} shard-map loads are
 * in flight, refreshes of working streams first; a stream idle for {@link ProducerConfig#streamIdleTimeout()} is
 * let go. So the state kept per stream follows the streams in use.
 *
 * <p><b>Data arrays</b> passed to {@code add} are not copied: do not modify them until the future completes.
 * {@link ByteBuffer} data is copied. A completed future no longer references the data (keeping futures keeps
 * only their results).
 */
public final class KinesisProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KinesisProducer.class);
    private static final AtomicInteger IDS = new AtomicInteger();
    /** Kinesis: a partition key has 1 to 256 Unicode (UTF-16) code units. */
    public static final int MAX_PARTITION_KEY_LENGTH = 256;

    private final ProducerConfig config;
    private final String name;
    private final MemoryBudget budget;
    private final AddBackpressure backpressure;
    private final Completer completer;
    private final Sender sender;
    private final StreamRegistry streams;
    private final Shutdown shutdown;
    private final LongAdder activeAdds = new LongAdder();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final long ttlMillis;
    private volatile boolean closed;
    /** How close was called (set before {@link #closed}), for the message of adds refused afterwards. */
    private volatile String closedBy;

    /**
     * Creates a producer and starts its sender thread ({@code purekinesis-producer-<producerName>-sender}) and,
     * unless the config has a {@code callbackExecutor}, its callback thread
     * ({@code purekinesis-producer-<producerName>-callback}). Makes no AWS call: a stream's shard map is loaded
     * when its first record arrives. Builds a Kinesis client unless the config has one; only a client it built is
     * closed by {@link #close()}.
     *
     * @throws NullPointerException if {@code config} is null
     */
    public static KinesisProducer create(ProducerConfig config) {
        Objects.requireNonNull(config, "config");
        return new KinesisProducer(config, KinesisClients.forConfig(config));
    }

    /** Every collaborator comes from the config and the client holder; tests pass a fake client. */
    KinesisProducer(ProducerConfig config, ClientHolder<KinesisAsyncClient> client) {
        this.config = config;
        this.name = config.producerName().orElseGet(() -> Integer.toString(IDS.incrementAndGet()));
        this.budget = new MemoryBudget(config.maxOutstandingBytes(), config.maxOutstandingRecords());
        this.ttlMillis = config.recordTtl().toMillis();
        ExecutorService ownedCallbackExecutor;
        Executor callbackExecutor;
        if (config.callbackExecutor().isPresent()) {
            ownedCallbackExecutor = null;
            callbackExecutor = config.callbackExecutor().get();
        } else {
            ownedCallbackExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "purekinesis-producer-" + name + "-callback");
                t.setDaemon(true);
                return t;
            });
            callbackExecutor = ownedCallbackExecutor;
        }
        SafeMetrics metrics = new SafeMetrics(config.metrics());
        this.completer = new Completer(callbackExecutor, budget, config.deadLetterHandler(), metrics,
                "purekinesis-producer-" + name + "-callback-overflow");
        this.backpressure = new AddBackpressure(config, budget, completer);
        Sender[] senderRef = new Sender[1];
        this.streams = new StreamRegistry(new StreamPipeline.Shared(config, new ShardMapLoader(client.client()),
                completer, metrics, () -> senderRef[0].wakeup(),
                Sender.deadlineWakeupsNeeded(config.recordMaxBufferedTime().toMillis())),
                KinesisClients.region(client.client()));
        ResultHandler resultHandler = new ResultHandler(config.clock(),
                Backoff.of(config.retryBaseDelay(), config.retryMaxDelay(), config.random().orElse(null)),
                config.maxAttempts().orElse(0), completer, metrics);
        this.sender = new Sender(config, client.client(), resultHandler, completer, budget, metrics, streams);
        senderRef[0] = sender;
        budget.onRanOut(sender::wakeup);
        this.shutdown = new Shutdown(name, budget, completer, sender, client, ownedCallbackExecutor, activeAdds);
        completer.loopThread(sender.start("purekinesis-producer-" + name + "-sender"));
        LOG.info("Kinesis producer {} started", name);
        LOG.debug("Kinesis producer {} settings: {}", name, config);
    }

    /**
     * Same as {@link #add(String, String, String, byte[])} without an explicit hash key: the partition key's MD5
     * picks the shard. Throws what that method throws.
     */
    public CompletableFuture<RecordResult> add(String stream, String partitionKey, byte[] data) {
        return add(stream, partitionKey, null, data);
    }

    /**
     * Same as {@link #add(String, String, String, byte[])} with the buffer's remaining bytes, copied (the buffer's
     * position is not changed), and no explicit hash key. Throws what that method throws.
     */
    public CompletableFuture<RecordResult> add(String stream, String partitionKey, ByteBuffer data) {
        return add(stream, partitionKey, null, data);
    }

    /**
     * Same as {@link #add(String, String, String, byte[])} with the buffer's remaining bytes, copied (the buffer's
     * position is not changed). Throws what that method throws.
     */
    public CompletableFuture<RecordResult> add(String stream, String partitionKey, String explicitHashKey,
            ByteBuffer data) {
        if (data == null) {
            throw new NullPointerException("data must not be null");
        }
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return add(stream, partitionKey, explicitHashKey, bytes);
    }

    /**
     * Accepts a record for sending.
     *
     * <p>A name and an ARN of the same stream are one stream (see the class comment). A stream remembered as
     * missing or refusing the producer fails the record at once through the returned future (and the dead-letter
     * handler), without a call: no exception here.
     *
     * @param stream stream name (1-128 of [a-zA-Z0-9_.-]) or stream ARN of the producer's region
     * @param partitionKey 1 to 256 UTF-16 code units of valid Unicode (no unpaired surrogate)
     * @param explicitHashKey null, or a decimal integer in [0, 2^128-1] that picks the shard instead of the
     *     partition key's MD5
     * @param data not copied: leave it unmodified until the future completes
     * @return completes with where the record was stored, or with a {@link RecordFailedException}
     * @throws IllegalArgumentException for a bad stream, partition key or explicit hash key; for an ARN of another
     *     region than the producer's, or (once the stream's ARN is known) of another account
     * @throws NullPointerException when data is null
     * @throws RecordTooLargeException when data plus partition key UTF-8 bytes exceed 1 MiB
     * @throws BufferFullException when the budget has no room ({@link BackpressureMode})
     * @throws KinesisProducerException when the thread is interrupted while waiting for room (the interrupt
     *     status is kept; the record is not added)
     * @throws ProducerClosedException after {@link #close} began
     */
    public CompletableFuture<RecordResult> add(String stream, String partitionKey, String explicitHashKey,
            byte[] data) {
        activeAdds.increment();
        try {
            if (closed) {
                throw new ProducerClosedException("producer " + name + " is closed, records can no longer be "
                        + "added: " + closedBy);
            }
            // Validated once per spelling (a cache, no regex on the hot path); an ARN of another region throws.
            StreamRegistry.Spelling spelling = streams.spelling(stream);
            int keyBytes = PartitionKeys.utf8Length(partitionKey);
            if (data == null) {
                throw new NullPointerException("data must not be null");
            }
            long hashHi;
            long hashLo;
            if (explicitHashKey != null) {
                BigInteger hashKey = HashKeys.parseExplicitHashKey(explicitHashKey);
                hashHi = HashKey128.hi(hashKey);
                hashLo = HashKey128.lo(hashKey);
            } else {
                HashKey128 hash = HashKey128.hashPartitionKey(partitionKey);
                hashHi = hash.hi();
                hashLo = hash.lo();
            }
            long size = (long) data.length + keyBytes;
            if (size > ProducerConfig.MAX_RECORD_SIZE_BYTES) {
                throw new RecordTooLargeException(size, ProducerConfig.MAX_RECORD_SIZE_BYTES);
            }
            backpressure.reserve((int) size);
            UserRecord record = null;
            try {
                long now = config.clock().millis();
                record = new UserRecord(partitionKey, explicitHashKey, data, hashHi, hashLo,
                        now + ttlMillis, (int) size);
                streams.append(spelling, record, now);
            } catch (RuntimeException | Error e) {
                // The caller gets the exception, not a future: the record must not hold budget (nor, if it was
                // queued before the failure, ever complete a future nobody has).
                if (record == null || record.markDone()) {
                    budget.release(size, 1);
                }
                throw e;
            }
            if (sender.isAborted() && record.markDone()) {
                // Close gave up waiting for this add (past its deadline) and aborted before the record was in
                // the pipeline: nobody would ever complete it. Refuse it as an add after close.
                budget.release(size, 1);
                throw new ProducerClosedException("producer " + name + " closed while the record was being added "
                        + "(not accepted): " + closedBy);
            }
            return record.future();
        } finally {
            activeAdds.decrement();
        }
    }

    /**
     * Sends everything buffered now, without waiting for its buffered time (still within the rate limit and one call
     * in flight per shard). Does not wait for the results; returns at once, also after close.
     */
    public void flush() {
        sender.flush();
    }

    /**
     * Flushes, then waits until no record is outstanding (records added meanwhile are waited for too), without a
     * deadline: at most about {@link ProducerConfig#recordTtl()} after the last add, when the rest expire.
     *
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public void flushSync() throws InterruptedException {
        flush();
        while (!budget.awaitEmpty(TimeUnit.MILLISECONDS.toNanos(50))) {
            flush();
        }
    }

    /**
     * Flushes, then waits up to {@code timeout} until no record is outstanding.
     *
     * @return true when nothing is outstanding, false when {@code timeout} passed first
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public boolean flushSync(Duration timeout) throws InterruptedException {
        flush();
        return budget.awaitEmpty(timeout.toNanos());
    }

    /** Records accepted whose futures have not completed. */
    public long outstandingRecords() {
        return budget.outstandingRecords();
    }

    /** Data plus partition key bytes of the outstanding records. */
    public long outstandingBytes() {
        return budget.outstandingBytes();
    }

    /** The configuration this producer was created with. */
    public ProducerConfig config() {
        return config;
    }

    /** For tests. */
    Sender sender() {
        return sender;
    }

    /** For tests: the stream's pipeline (by name), or null before its first record or once released. */
    StreamPipeline pipeline(String stream) {
        return streams.pipeline(stream);
    }

    /** For tests. */
    StreamRegistry streams() {
        return streams;
    }

    /** {@link #close(Duration)} with {@link ProducerConfig#recordTtl()} as timeout. */
    @Override
    public void close() {
        close(config.recordTtl());
    }

    /**
     * Stops accepting records (further {@code add} calls, and those blocked for buffer space, throw
     * {@link ProducerClosedException}), sends everything buffered and waits for the outcomes until
     * {@code timeout}. Whatever is still not stored then fails with {@link FailureReason#PRODUCER_CLOSED}, goes to
     * the dead-letter handler and is returned: buffered records, retries waiting for their backoff, and records of
     * calls in flight or whose answer is being handled at that moment (if such a call is stored after all, the
     * record may be in the stream although reported failed). An {@code add} still running then either returns a
     * future close completed or throws {@link ProducerClosedException}. Then releases the sender thread, the
     * callback thread and, if the producer built it, the Kinesis client. Never waits much longer than
     * {@code timeout}; a second call returns an empty list at once. Before it returns, every record decided until
     * then has its future completed and its dead letter handled: completions the callback executor did not run by
     * the deadline (a stopped, saturated or discarding executor) run on the calling thread.
     *
     * <p><b>From a callback.</b> Close may be called from a future's callback or from the dead-letter handler, on
     * the producer's callback thread or on a thread of a user-supplied {@code callbackExecutor}. It then does not
     * wait for itself: the completions queued behind the running one (which only this thread could run, with the
     * producer's own one-thread executor) run on the calling thread while close waits, so it returns as soon as
     * everything is stored or failed, not after its whole timeout. The records of the completion that called close
     * are already decided; their remaining callbacks run when close returns. Adds after close (also from later
     * callbacks) throw {@link ProducerClosedException} naming where close was called.
     *
     * @return exactly the records whose futures close failed with {@link FailureReason#PRODUCER_CLOSED}; records
     *     that failed for other reasons before were dead-lettered then and are not included
     */
    public List<FailedRecord> close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (!closing.compareAndSet(false, true)) {
            return List.of();
        }
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        // A future callback or the dead-letter handler closing the producer: the completions it is part of (and
        // those queued behind it on a one-thread executor) can only finish on this thread.
        long ownCompleting = completer.completingOnThisThread();
        closedBy = describeCloseCall(ownCompleting > 0);
        closed = true;
        List<FailedRecord> undelivered = shutdown.run(deadline, ownCompleting, closedBy);
        LOG.info("Kinesis producer {} closed ({})", name, closedBy);
        return undelivered;
    }

    /** Where close was called from, for the exceptions of later adds: thread, time and the caller's frame. */
    private String describeCloseCall(boolean fromCallback) {
        String caller = StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(KinesisProducer.class.getName()))
                .findFirst().map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                        + f.getLineNumber() + ")")
                .orElse("unknown"));
        return "close() was called at " + java.time.Instant.now() + " on thread '" + Thread.currentThread().getName()
                + "' from " + caller + (fromCallback ? " (inside a future callback or the dead-letter handler)" : "");
    }
}
