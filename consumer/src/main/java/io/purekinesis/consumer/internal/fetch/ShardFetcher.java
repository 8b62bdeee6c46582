package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * Reads one shard ahead of its processor: GetShardIterator from the checkpoint, then GetRecords in a loop into a
 * bounded {@link PrefetchQueue} of {@link RecordBatch}es, so fetching overlaps processing. Keeps to at most one call
 * per {@code minTimeBetweenReads} (5/s by default) and 2 MiB/s, waits {@code idleTimeBetweenReads} after an empty
 * read, backs off on throttling and errors, and gets a fresh iterator after ExpiredIteratorException where
 * {@link IteratorPosition} says. Runs as a chain of tasks on a shared scheduler: no thread of its own, never
 * blocks, and never runs on SDK threads.
 *
 * <p>Resuming from a checkpoint (seq, sub) reads AT_SEQUENCE_NUMBER seq and skips user records at or before
 * (seq, sub): this resumes correctly inside an aggregate and costs one re-read record when the aggregate was done.
 */
public final class ShardFetcher implements RecordSource {

    private static final Logger log = LoggerFactory.getLogger(ShardFetcher.class);
    /** Kinesis allows 2 MiB per second per shard for GetRecords. */
    static final long MAX_BYTES_PER_SECOND = 2L * 1024 * 1024;
    /**
     * Prefetched heap per shard that stops further reads (as KCL's 8 MiB), counted as each user record's estimated
     * footprint (data, strings and object overhead, see {@link Deaggregator#footprint}), not only its data: with up
     * to 10 MiB per GetRecords, a shard holds at most about this plus one response, whatever
     * {@code maxPrefetchBatches} is.
     */
    public static final long MAX_PREFETCH_BYTES = 8L * 1024 * 1024;
    /**
     * GetShardIterator answers ResourceNotFound this many times in a row, while the stream exists, before the shard
     * is taken to have expired past the stream's retention (a shard that was just created may briefly be unknown).
     */
    public static final int SHARD_GONE_CONFIRMATIONS = 3;
    /**
     * The first GetRecords of a lease asks for at most this many Kinesis records (maxRecords if smaller), the next
     * ones for maxRecords: on a fresh JVM, unmarshalling a full response (up to 10,000 records or 10 MB) is slow, and
     * the first batch reaches the processor sooner from a small one. 100 KPL aggregates of ~10 KB are still about
     * 1 MB. It costs one extra call per lease taken.
     */
    static final int FIRST_READ_LIMIT = 100;
    /** Backoff between failed or throttled calls: from minTimeBetweenReads up to this. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    private final KinesisAsyncClient kinesis;
    private final String streamName;
    private final String shardId;
    private final HashKeyRange range;
    private final int maxRecords;
    private final Duration minTimeBetweenReads;
    private final Duration idleTimeBetweenReads;
    private final ScheduledExecutorService scheduler;
    private final Time time;
    private final ConsumerMetrics metrics;
    private final Backoff backoff;
    private final PrefetchQueue queue;
    private final String resource;
    private final FailureReporter failureReporter;
    /** Told the stream's name when a read answers ResourceNotFound (multi-stream mode: was the stream deleted?). */
    private final Consumer<String> streamCheck;
    private volatile boolean stopped;
    private volatile boolean started;

    // Touched only by the task chain (one task at a time).
    private final IteratorPosition position;
    private String iterator;
    private int readLimit;
    private int failures;
    private int shardNotFound;

    private ShardFetcher(Builder b) {
        this.kinesis = b.kinesis;
        this.streamName = b.streamName;
        this.shardId = b.shardId;
        this.range = b.range;
        this.maxRecords = b.maxRecords;
        this.readLimit = Math.min(b.maxRecords, FIRST_READ_LIMIT);
        this.minTimeBetweenReads = b.minTimeBetweenReads;
        this.idleTimeBetweenReads = b.idleTimeBetweenReads;
        this.scheduler = b.scheduler;
        this.time = b.time;
        this.metrics = b.metrics;
        this.backoff = b.backoff;
        this.queue = new PrefetchQueue(b.maxPrefetchBatches, b.maxPrefetchBytes, () -> schedule(Duration.ZERO));
        this.resource = "shard " + shardId + " of stream " + streamName;
        this.failureReporter = new FailureReporter(log, metrics, time);
        this.streamCheck = b.streamCheck;
        this.position = new IteratorPosition(streamName, shardId, b.checkpoint, b.initialPosition);
    }

    /** A fetcher with every setting of {@code context}'s config, for the shard the other calls name. */
    public static Builder builder(ConsumerContext context, KinesisAsyncClient kinesis) {
        ConsumerConfig c = context.config();
        return new Builder().kinesis(kinesis).streamName(c.streamName()).initialPosition(c.initialPosition())
                .maxRecords(c.maxRecords()).minTimeBetweenReads(c.minTimeBetweenReads())
                .idleTimeBetweenReads(c.idleTimeBetweenReads()).maxPrefetchBatches(c.maxPrefetchBatches())
                .scheduler(context.fetchScheduler()).time(context.time()).metrics(context.metrics())
                .backoff(Backoff.of(c.minTimeBetweenReads(), MAX_BACKOFF, context.random()));
    }

    /** Polling: a fetcher per lease, with every setting of {@code context}'s config. */
    public static RecordSource.Factory factory(ConsumerContext context, KinesisAsyncClient kinesis) {
        return factory(context, kinesis, null);
    }

    /** {@link #factory(ConsumerContext, KinesisAsyncClient)} whose fetchers tell {@code streamCheck} (if not null). */
    public static RecordSource.Factory factory(ConsumerContext context, KinesisAsyncClient kinesis,
            Consumer<String> streamCheck) {
        return (streamName, shardId, range, checkpoint) -> builder(context, kinesis).streamName(streamName)
                .shard(shardId, range).checkpoint(checkpoint).streamCheck(streamCheck).build();
    }

    /** A fetcher built field by field (tests); every field but the hash range and the prefetch bytes is needed. */
    public static Builder builder() {
        return new Builder();
    }

    public String shardId() {
        return shardId;
    }

    @Override
    public synchronized void start() {
        if (!started) {
            started = true;
            schedule(Duration.ZERO);
        }
    }

    /** Stops fetching; batches already queued stay available to {@link #poll}. */
    @Override
    public void stop() {
        stopped = true;
    }

    public boolean isStopped() {
        return stopped;
    }

    /** The next batch, waiting up to {@code timeout}; null if none arrived. */
    @Override
    public RecordBatch poll(Duration timeout) throws InterruptedException {
        return queue.poll(timeout);
    }

    private void schedule(Duration delay) {
        if (stopped) {
            return;
        }
        try {
            scheduler.schedule(this::fetchOnce, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            stopped = true; // the consumer is shutting down
        }
    }

    /** One step of the task chain; whatever it throws is handled as a failed call, so the chain never ends. */
    private void fetchOnce() {
        try {
            fetchOnceUnguarded();
        } catch (RuntimeException | Error e) {
            unexpected("fetch", e);
        }
    }

    private void unexpected(String what, Throwable e) {
        // A closing worker stops every fetcher before it stops the scheduler, so an answer that lands afterwards
        // (the scheduler then rejects its handling) belongs to a fetcher that has nothing left to do: not an error.
        if (stopped || Failures.unwrap(e) instanceof RejectedExecutionException) {
            stopped = true;
            return;
        }
        log.error("Shard {}: unexpected failure in {}; retrying", shardId, what, e);
        failed(what, e);
    }

    private void fetchOnceUnguarded() {
        if (stopped) {
            return;
        }
        if (queue.parkIfFull()) {
            return; // poll() reschedules us
        }
        if (iterator == null) {
            GetShardIteratorRequest request = position.request();
            // taken before the request: LATEST positions at the time Kinesis serves it, which is not earlier
            Instant requestedAt = time.wallTime();
            log.debug("Shard {}: GetShardIterator {}", shardId, request.shardIteratorTypeAsString());
            // handle, not whenComplete: the latter's future fails with the call's failure even after failed()
            // dealt with it, and exceptionally() would then start a second task chain on the shard
            AwsCalls.call("kinesis:GetShardIterator", resource, request, kinesis::getShardIterator)
                    .handleAsync((r, e) -> {
                if (e != null) {
                    failed("GetShardIterator", e);
                } else {
                    position.obtained(request, requestedAt);
                    shardNotFound = 0;
                    iterator = r.shardIterator();
                    fetchOnce();
                }
                return null;
            }, scheduler).exceptionally(x -> {
                unexpected("GetShardIterator handling", x);
                return null;
            });
            return;
        }
        AwsCalls.call("kinesis:GetRecords", resource, GetRecordsRequest.builder().shardIterator(iterator)
                        .limit(readLimit).build(), kinesis::getRecords)
                .whenCompleteAsync((r, e) -> {
                    if (e != null) {
                        failed("GetRecords", e);
                    } else {
                        // state (iterator, floor) changes before the batch is queued; if anything throws, the
                        // same or the next response is read again and the floor drops what was delivered
                        try {
                            received(r);
                        } catch (RuntimeException | Error x) {
                            unexpected("GetRecords handling", x);
                        }
                    }
                }, scheduler);
    }

    /**
     * Queues the response's records, then moves the fetch state past them. Anything that can throw runs before the
     * batch is queued (then the same response is read again: nothing was queued, nothing is lost) or after the
     * state moved (then nothing is read twice).
     */
    private void received(GetRecordsResponse r) {
        if (stopped) {
            return;
        }
        if (failures > 0) {
            failureReporter.recovered();
        }
        failures = 0;
        readLimit = maxRecords;
        long behind = r.millisBehindLatest() == null ? 0 : r.millisBehindLatest();
        String nextIterator = r.nextShardIterator();
        boolean shardEnd = nextIterator == null;
        ReadResult read = ReadResult.of(shardId, r.hasRecords() ? r.records() : List.of(), range, position.floor(),
                behind, shardEnd, r.hasChildShards() ? r.childShards() : List.of());
        boolean anyRecord = read.lastSequenceNumber() != null;
        if (read.batch() != null) {
            queue.add(read.batch());
        }
        position.advance(anyRecord ? read.lastSequenceNumber() : position.lastFetchedSequenceNumber(), read.floor());
        iterator = nextIterator;
        if (shardEnd) {
            stopped = true;
        }
        read.report(shardId, metrics);
        if (shardEnd) {
            log.info("Shard {} reached its end", shardId);
            return;
        }
        Duration delay;
        if (!anyRecord) {
            delay = idleTimeBetweenReads;
        } else {
            Duration byBytes = Duration.ofMillis(read.rawBytes() * 1000 / MAX_BYTES_PER_SECOND);
            delay = byBytes.compareTo(minTimeBetweenReads) > 0 ? byBytes : minTimeBetweenReads;
        }
        schedule(delay);
    }

    /**
     * A shard that no longer exists while its stream does has expired past the stream's retention (Kinesis drops
     * closed shards then): nothing is left to read, so it ends like a closed shard, without children (they have
     * leases of their own). Its processor still gets shardEnded, and its SHARD_END checkpoint unblocks them.
     */
    private void shardNotFound(Throwable cause) {
        if (++shardNotFound < SHARD_GONE_CONFIRMATIONS) {
            if (streamCheck != null) {
                // the stream is being checked; if it is gone, its leases are let go with one WARN for all shards
                log.debug("Shard {}: GetShardIterator says the shard does not exist (attempt {}); retrying",
                        shardId, shardNotFound);
                schedule(backoff.delay(failures));
                return;
            }
            log.warn("Shard {}: GetShardIterator says the shard does not exist (attempt {}); retrying", shardId,
                    shardNotFound);
            schedule(backoff.delay(failures));
            return;
        }
        AwsCalls.call("kinesis:DescribeStreamSummary", "stream " + streamName, DescribeStreamSummaryRequest.builder()
                        .streamName(streamName).build(), kinesis::describeStreamSummary)
                .handleAsync((r, e) -> {
                    if (stopped) {
                        return null;
                    }
                    if (e != null) {
                        Duration delay = backoff.delay(failures);
                        failureReporter.report("Shard " + shardId + ": GetShardIterator says the shard does not exist,"
                                + " and DescribeStreamSummary of its stream (deleted? wrong region or endpoint?)",
                                "retrying in " + delay, e);
                        schedule(delay);
                        return null;
                    }
                    log.warn("Shard {} of stream {} no longer exists: it expired past the stream's retention "
                            + "period ({}), and any records in it that were not processed are gone; ending it",
                            shardId, streamName, cause.getMessage());
                    stopped = true;
                    queue.add(new RecordBatch(List.of(), 0, 0, true, List.of(), 0));
                    return null;
                }, scheduler).exceptionally(x -> {
                    unexpected("DescribeStreamSummary handling", x);
                    return null;
                });
    }

    private void failed(String call, Throwable e) {
        Throwable cause = Failures.sdkCause(e);
        if (stopped) {
            return;
        }
        failures++;
        if (cause instanceof ExpiredIteratorException) {
            log.info("Shard {}: iterator expired; getting a new one after {}", shardId, position.describe());
            iterator = null;
            schedule(minTimeBetweenReads);
            return;
        }
        boolean streamSuspect = streamCheck != null && (cause instanceof ResourceNotFoundException
                || cause instanceof ResourceInUseException); // ResourceInUse: the stream is being deleted?
        if (streamSuspect) {
            streamCheck.accept(streamName);
        }
        if (cause instanceof ResourceNotFoundException && "GetShardIterator".equals(call)) {
            shardNotFound(cause);
            return;
        }
        shardNotFound = 0;
        Duration delay = backoff.delay(failures);
        if (streamSuspect && failures <= SHARD_GONE_CONFIRMATIONS) {
            log.debug("Shard {}: {} failed (attempt {}), its stream is being checked; retrying in {}: {}",
                    shardId, call, failures, delay, Failures.describe(e));
        } else if (cause instanceof ProvisionedThroughputExceededException) {
            log.debug("Shard {}: {} throttled; backing off {}", shardId, call, delay);
        } else {
            failureReporter.report("Shard " + shardId + ": " + call + " (attempt " + failures + ")",
                    "retrying in " + delay, e);
        }
        schedule(delay.compareTo(minTimeBetweenReads) < 0 ? minTimeBetweenReads : delay);
    }

    /** The settings of one shard's fetcher. */
    public static final class Builder {
        private KinesisAsyncClient kinesis;
        private String streamName;
        private String shardId;
        private HashKeyRange range;
        private ExtendedSequenceNumber checkpoint;
        private InitialPosition initialPosition;
        private int maxRecords;
        private Duration minTimeBetweenReads;
        private Duration idleTimeBetweenReads;
        private int maxPrefetchBatches;
        private long maxPrefetchBytes = MAX_PREFETCH_BYTES;
        private ScheduledExecutorService scheduler;
        private Time time;
        private ConsumerMetrics metrics;
        private Backoff backoff;
        private Consumer<String> streamCheck;

        private Builder() {
        }

        /** Told the stream's name when a read answers ResourceNotFound; null: nobody. */
        public Builder streamCheck(Consumer<String> streamCheck) {
            this.streamCheck = streamCheck;
            return this;
        }

        public Builder kinesis(KinesisAsyncClient kinesis) {
            this.kinesis = kinesis;
            return this;
        }

        public Builder streamName(String streamName) {
            this.streamName = streamName;
            return this;
        }

        /** @param range user records of an aggregate outside it are dropped; null for no filter */
        public Builder shard(String shardId, HashKeyRange range) {
            this.shardId = shardId;
            this.range = range;
            return this;
        }

        /** The lease's checkpoint: a position to resume after, or a start sentinel. */
        public Builder checkpoint(ExtendedSequenceNumber checkpoint) {
            this.checkpoint = checkpoint;
            return this;
        }

        /** For an AT_TIMESTAMP sentinel: its timestamp. */
        public Builder initialPosition(InitialPosition initialPosition) {
            this.initialPosition = initialPosition;
            return this;
        }

        public Builder maxRecords(int maxRecords) {
            this.maxRecords = maxRecords;
            return this;
        }

        public Builder minTimeBetweenReads(Duration minTimeBetweenReads) {
            this.minTimeBetweenReads = minTimeBetweenReads;
            return this;
        }

        public Builder idleTimeBetweenReads(Duration idleTimeBetweenReads) {
            this.idleTimeBetweenReads = idleTimeBetweenReads;
            return this;
        }

        public Builder maxPrefetchBatches(int maxPrefetchBatches) {
            this.maxPrefetchBatches = maxPrefetchBatches;
            return this;
        }

        /** No further GetRecords while the queued batches' footprint is at least this. Default 8 MiB. */
        public Builder maxPrefetchBytes(long maxPrefetchBytes) {
            this.maxPrefetchBytes = maxPrefetchBytes;
            return this;
        }

        /** Runs the fetcher's task chain and handles the answers (never an SDK thread). */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /** Gives the time of the first LATEST iterator. */
        public Builder time(Time time) {
            this.time = time;
            return this;
        }

        public Builder metrics(ConsumerMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /** Between failed or throttled calls. */
        public Builder backoff(Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        public ShardFetcher build() {
            Objects.requireNonNull(kinesis, "kinesis");
            Objects.requireNonNull(streamName, "streamName");
            Objects.requireNonNull(shardId, "shardId");
            Objects.requireNonNull(checkpoint, "checkpoint");
            Objects.requireNonNull(initialPosition, "initialPosition");
            Objects.requireNonNull(minTimeBetweenReads, "minTimeBetweenReads");
            Objects.requireNonNull(idleTimeBetweenReads, "idleTimeBetweenReads");
            Objects.requireNonNull(scheduler, "scheduler");
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(metrics, "metrics");
            Objects.requireNonNull(backoff, "backoff");
            if (maxRecords < 1 || maxPrefetchBatches < 1) {
                throw new IllegalArgumentException("maxRecords and maxPrefetchBatches must be positive, were "
                        + maxRecords + " and " + maxPrefetchBatches);
            }
            return new ShardFetcher(this);
        }
    }
}
