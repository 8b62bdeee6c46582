package io.purekinesis.consumer.internal.fetch;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.internal.Backoff;
import io.purekinesis.consumer.internal.RequestTag;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

/**
 * Reads one shard ahead of its processor: GetShardIterator from the checkpoint, then GetRecords in a loop into a
 * bounded queue of {@link RecordBatch}es, so fetching overlaps processing. Keeps to at most one call per
 * {@code minTimeBetweenReads} (5/s by default) and 2 MiB/s, waits {@code idleTimeBetweenReads} after an empty
 * read, backs off on throttling and errors, and gets a fresh iterator after ExpiredIteratorException from the
 * last record it read (before any record was read: from the configured AT_TIMESTAMP, or for LATEST from
 * AT_TIMESTAMP a margin before the first iterator was requested, never a new LATEST, which would skip what arrived
 * meanwhile). Runs as a chain of tasks on a shared scheduler: no thread of its own, never blocks, and
 * never runs on SDK threads.
 *
 * <p>Resuming from a checkpoint (seq, sub) reads AT_SEQUENCE_NUMBER seq and skips user records at or before
 * (seq, sub): this resumes correctly inside an aggregate and costs one re-read record when the aggregate was done.
 */
public final class ShardFetcher {

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
     * How far before the first LATEST iterator's request an expired iterator is replaced with AT_TIMESTAMP: covers
     * clock skew between this host and Kinesis, so records that arrived meanwhile are never skipped (a few older
     * ones may be delivered: at-least-once).
     */
    static final Duration LATEST_RESTART_CLOCK_SKEW_MARGIN = Duration.ofSeconds(60);
    /**
     * GetShardIterator answers ResourceNotFound this many times in a row, while the stream exists, before the shard
     * is taken to have expired past the stream's retention (a shard that was just created may briefly be unknown).
     */
    static final int SHARD_GONE_CONFIRMATIONS = 3;

    private final KinesisAsyncClient kinesis;
    private final String streamName;
    private final String shardId;
    private final HashKeyRange range;
    private final InitialPosition initialPosition;
    private final ExtendedSequenceNumber startSentinel;
    private final int maxRecords;
    private final Duration minTimeBetweenReads;
    private final Duration idleTimeBetweenReads;
    private final ScheduledExecutorService scheduler;
    private final ConsumerMetrics metrics;
    private final Backoff backoff;
    private final BlockingQueue<RecordBatch> queue;
    private final long maxPrefetchBytes;
    private final Clock clock;
    private final AtomicBoolean waitingForSpace = new AtomicBoolean();
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile boolean stopped;
    private volatile boolean started;

    // Touched only by the task chain (one task at a time).
    private String iterator;
    private String lastFetchedSequenceNumber;
    private ExtendedSequenceNumber floor;
    private int failures;
    private int shardNotFound;
    /** When the first LATEST iterator of this lease was requested (set once it was obtained); null before. */
    private Instant latestIteratorRequestedAt;

    public ShardFetcher(KinesisAsyncClient kinesis, String streamName, String shardId, HashKeyRange range,
            ExtendedSequenceNumber checkpoint, InitialPosition initialPosition, int maxRecords,
            Duration minTimeBetweenReads, Duration idleTimeBetweenReads, int maxPrefetchBatches,
            ScheduledExecutorService scheduler, ConsumerMetrics metrics, Backoff backoff) {
        this(kinesis, streamName, shardId, range, checkpoint, initialPosition, maxRecords, minTimeBetweenReads,
                idleTimeBetweenReads, maxPrefetchBatches, MAX_PREFETCH_BYTES, scheduler, metrics, backoff);
    }

    /**
     * @param maxPrefetchBytes no further GetRecords while the queued batches' estimated footprint is at least this
     *                         many bytes
     */
    public ShardFetcher(KinesisAsyncClient kinesis, String streamName, String shardId, HashKeyRange range,
            ExtendedSequenceNumber checkpoint, InitialPosition initialPosition, int maxRecords,
            Duration minTimeBetweenReads, Duration idleTimeBetweenReads, int maxPrefetchBatches,
            long maxPrefetchBytes, ScheduledExecutorService scheduler, ConsumerMetrics metrics, Backoff backoff) {
        this(kinesis, streamName, shardId, range, checkpoint, initialPosition, maxRecords, minTimeBetweenReads,
                idleTimeBetweenReads, maxPrefetchBatches, maxPrefetchBytes, scheduler, metrics, backoff,
                Clock.systemUTC());
    }

    /** @param clock wall clock for the time of the first LATEST iterator (injected for tests) */
    ShardFetcher(KinesisAsyncClient kinesis, String streamName, String shardId, HashKeyRange range,
            ExtendedSequenceNumber checkpoint, InitialPosition initialPosition, int maxRecords,
            Duration minTimeBetweenReads, Duration idleTimeBetweenReads, int maxPrefetchBatches,
            long maxPrefetchBytes, ScheduledExecutorService scheduler, ConsumerMetrics metrics, Backoff backoff,
            Clock clock) {
        this.clock = clock;
        this.maxPrefetchBytes = maxPrefetchBytes;
        this.kinesis = kinesis;
        this.streamName = streamName;
        this.shardId = shardId;
        this.range = range;
        this.initialPosition = initialPosition;
        this.maxRecords = maxRecords;
        this.minTimeBetweenReads = minTimeBetweenReads;
        this.idleTimeBetweenReads = idleTimeBetweenReads;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.backoff = backoff;
        this.queue = new ArrayBlockingQueue<>(maxPrefetchBatches);
        if (checkpoint.isSentinel()) {
            this.startSentinel = checkpoint;
            this.floor = null;
        } else {
            this.startSentinel = null;
            this.floor = checkpoint;
        }
    }

    public String shardId() {
        return shardId;
    }

    public synchronized void start() {
        if (!started) {
            started = true;
            schedule(Duration.ZERO);
        }
    }

    /** Stops fetching; batches already queued stay available to {@link #poll}. */
    public void stop() {
        stopped = true;
    }

    public boolean isStopped() {
        return stopped;
    }

    /** The next batch, waiting up to {@code timeout}; null if none arrived. */
    public RecordBatch poll(Duration timeout) throws InterruptedException {
        RecordBatch b = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (b != null) {
            queuedBytes.addAndGet(-b.footprintBytes());
            if (waitingForSpace.compareAndSet(true, false)) {
                schedule(Duration.ZERO);
            }
        }
        return b;
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

    /** The prefetch queue is at its bound in batches or in bytes. */
    private boolean full() {
        return queue.remainingCapacity() == 0 || queuedBytes.get() >= maxPrefetchBytes;
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
        log.error("Shard {}: unexpected failure in {}; retrying", shardId, what, e);
        failed(what, e);
    }

    private void fetchOnceUnguarded() {
        if (stopped) {
            return;
        }
        if (full()) {
            waitingForSpace.set(true);
            if (full() || !waitingForSpace.compareAndSet(true, false)) {
                return; // poll() reschedules us
            }
        }
        if (iterator == null) {
            GetShardIteratorRequest request = iteratorRequest();
            // taken before the request: LATEST positions at the time Kinesis serves it, which is not earlier
            Instant requestedAt = clock.instant();
            log.debug("Shard {}: GetShardIterator {}", shardId, request.shardIteratorTypeAsString());
            // handle, not whenComplete: the latter's future fails with the call's failure even after failed()
            // dealt with it, and exceptionally() would then start a second task chain on the shard
            kinesis.getShardIterator(request).handleAsync((r, e) -> {
                if (e != null) {
                    failed("GetShardIterator", e);
                } else {
                    if (latestIteratorRequestedAt == null && request.shardIteratorType() == ShardIteratorType.LATEST) {
                        latestIteratorRequestedAt = requestedAt;
                    }
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
        kinesis.getRecords(RequestTag.tag(GetRecordsRequest.builder()).shardIterator(iterator).limit(maxRecords)
                        .build())
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

    private GetShardIteratorRequest iteratorRequest() {
        GetShardIteratorRequest.Builder b = RequestTag.tag(GetShardIteratorRequest.builder()).streamName(streamName)
                .shardId(shardId);
        if (lastFetchedSequenceNumber != null) {
            return b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                    .startingSequenceNumber(lastFetchedSequenceNumber).build();
        }
        if (floor != null) {
            return b.shardIteratorType(ShardIteratorType.AT_SEQUENCE_NUMBER)
                    .startingSequenceNumber(floor.sequenceNumber()).build();
        }
        if (startSentinel == ExtendedSequenceNumber.LATEST) {
            if (latestIteratorRequestedAt != null) {
                // the first LATEST iterator expired before any record was read: a new LATEST iterator would skip
                // what arrived meanwhile, so read from (a margin before) the time the first one was requested
                return b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                        .timestamp(latestIteratorRequestedAt.minus(LATEST_RESTART_CLOCK_SKEW_MARGIN)).build();
            }
            return b.shardIteratorType(ShardIteratorType.LATEST).build();
        }
        if (startSentinel == ExtendedSequenceNumber.AT_TIMESTAMP) {
            Instant ts = initialPosition.timestamp().orElse(null);
            if (ts != null) {
                return b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(ts).build();
            }
            log.warn("Shard {} has checkpoint AT_TIMESTAMP but no timestamp is configured; reading from "
                    + "TRIM_HORIZON", shardId);
        }
        return b.shardIteratorType(ShardIteratorType.TRIM_HORIZON).build();
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
        failures = 0;
        Deaggregator.Result result = Deaggregator.convert(shardId, r.records(), range, floor);
        List<KinesisUserRecord> records = result.records();
        boolean anyRecord = r.hasRecords() && !r.records().isEmpty();
        String nextLastFetched = anyRecord ? r.records().get(r.records().size() - 1).sequenceNumber()
                : lastFetchedSequenceNumber;
        ExtendedSequenceNumber nextFloor = records.isEmpty() ? floor
                : records.get(records.size() - 1).extendedSequenceNumber();
        long rawBytes = anyRecord ? r.records().stream().mapToLong(x -> x.data().asByteArray().length).sum() : 0;
        long behind = r.millisBehindLatest() == null ? 0 : r.millisBehindLatest();
        String nextIterator = r.nextShardIterator();
        boolean shardEnd = nextIterator == null;
        if (!records.isEmpty() || shardEnd) {
            RecordBatch batch = new RecordBatch(records, behind, result.bytes(), shardEnd,
                    r.hasChildShards() ? r.childShards() : List.of(), result.footprintBytes());
            queuedBytes.addAndGet(batch.footprintBytes());
            queue.add(batch);
        }
        lastFetchedSequenceNumber = nextLastFetched;
        floor = nextFloor;
        iterator = nextIterator;
        if (shardEnd) {
            stopped = true;
        }

        if (result.outsideHashRange() > 0) {
            log.debug("Shard {}: dropped {} user records outside the shard's hash range", shardId,
                    result.outsideHashRange());
            metrics.recordsOutsideHashRange(shardId, result.outsideHashRange());
        }
        metrics.millisBehindLatest(shardId, behind);
        if (shardEnd) {
            log.info("Shard {} reached its end", shardId);
            return;
        }
        Duration delay;
        if (!anyRecord) {
            delay = idleTimeBetweenReads;
        } else {
            Duration byBytes = Duration.ofMillis(rawBytes * 1000 / MAX_BYTES_PER_SECOND);
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
            log.warn("Shard {}: GetShardIterator says the shard does not exist (attempt {}); retrying", shardId,
                    shardNotFound);
            schedule(backoff.delay(failures));
            return;
        }
        kinesis.describeStreamSummary(RequestTag.tag(DescribeStreamSummaryRequest.builder()).streamName(streamName)
                        .build())
                .handleAsync((r, e) -> {
                    if (stopped) {
                        return null;
                    }
                    if (e != null) {
                        log.warn("Shard {}: neither the shard nor stream {} can be found; retrying: {}", shardId,
                                streamName, LeaseTable.unwrap(e).toString());
                        schedule(backoff.delay(failures));
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
        Throwable cause = LeaseTable.unwrap(e);
        if (stopped) {
            return;
        }
        failures++;
        if (cause instanceof ExpiredIteratorException) {
            log.info("Shard {}: iterator expired; getting a new one after {}", shardId,
                    lastFetchedSequenceNumber != null ? lastFetchedSequenceNumber : "the checkpoint");
            iterator = null;
            schedule(minTimeBetweenReads);
            return;
        }
        if (cause instanceof ResourceNotFoundException && "GetShardIterator".equals(call)) {
            shardNotFound(cause);
            return;
        }
        shardNotFound = 0;
        Duration delay = backoff.delay(failures);
        if (cause instanceof ProvisionedThroughputExceededException) {
            log.debug("Shard {}: {} throttled; backing off {}", shardId, call, delay);
        } else {
            log.warn("Shard {}: {} failed (attempt {}); retrying in {}: {}", shardId, call, failures, delay,
                    cause.toString());
        }
        schedule(delay.compareTo(minTimeBetweenReads) < 0 ? minTimeBetweenReads : delay);
    }
}
