package io.purekinesis.consumer.internal.fanout;

import io.purekinesis.aggregation.HashKeyRange;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.FailureReporter;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.fetch.IteratorPosition;
import io.purekinesis.consumer.internal.fetch.ReadResult;
import io.purekinesis.consumer.internal.fetch.RecordBatch;
import io.purekinesis.consumer.internal.fetch.RecordSource;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * Reads one shard through SubscribeToShard: subscribes from the lease's checkpoint as polling starts its iterator
 * ({@link IteratorPosition}: AT_SEQUENCE_NUMBER with the checkpoint as floor, so a checkpoint inside an aggregate
 * resumes at the next user record; the start sentinel otherwise), turns each event into a {@link RecordBatch} as
 * polling turns a response ({@link ReadResult}), and queues it for the shard consumer. The event whose continuation
 * sequence number is null ends the shard; its child shards go with the last batch.
 *
 * <p><b>Demand.</b> One event is requested at a time, and only while the queue has room for it: queued batches plus
 * outstanding demand never exceed {@code maxBatches} (and queued bytes stop further requests at {@code maxBytes}), so
 * a slow processor holds back Kinesis instead of growing the heap. A {@link #poll} that makes room requests the next.
 *
 * <p><b>Resubscribing.</b> A subscription ends after 5 minutes (Kinesis) or fails; the next one starts after the
 * continuation sequence number of the last event handled (queued, or empty), so nothing is skipped and nothing is
 * queued twice. At most one SubscribeToShard per second per shard (the Kinesis limit), on the consumer's
 * {@link Time}. {@code ResourceInUseException} (the shard's previous subscription, perhaps another worker's, is still
 * open) and {@code LimitExceededException} back off and retry quietly; other failures are reported as polling reports
 * them ({@link FailureReporter}) and retried with backoff. {@link #stop()} cancels the subscription. As in polling, a
 * shard Kinesis no longer knows ({@code ResourceNotFoundException} {@link ShardFetcher#SHARD_GONE_CONFIRMATIONS}
 * times in a row) while the stream consumer is still ACTIVE has expired past the stream's retention: it ends without
 * children, so its processor still gets shardEnded.
 *
 * <p><b>Threads.</b> SDK threads only hand events and ends to the scheduler; the state is changed under this object's
 * lock by scheduler tasks and by {@link #poll} (the processor thread). Demand of one makes events arrive one after
 * another, so they are handled in order.
 */
public final class ShardSubscription implements RecordSource {

    private static final Logger log = LoggerFactory.getLogger(ShardSubscription.class);
    /** Kinesis allows one SubscribeToShard per second per consumer and shard. */
    static final Duration MIN_TIME_BETWEEN_SUBSCRIBES = Duration.ofSeconds(1);
    /** Backoff between failed subscriptions: from one second up to this. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /**
     * Kinesis sends an event every few seconds even when a shard has no new record (its continuation sequence number
     * is the progress). A subscription silent this long while an event is requested, or a SubscribeToShard call not
     * accepted this long, is presumed hung (a half-open connection, a user client without read timeouts or HTTP/2
     * pings) and replaced: a shard must never stall without a word.
     */
    static final Duration SILENCE_LIMIT = Duration.ofSeconds(30);

    private final KinesisAsyncClient kinesis;
    private final String consumerArn;
    private final String shardId;
    private final HashKeyRange range;
    private final int maxBatches;
    private final long maxBytes;
    private final ScheduledExecutorService scheduler;
    private final Time time;
    private final ConsumerMetrics metrics;
    private final Backoff backoff;
    private final FailureReporter failureReporter;
    private final String resource;
    private final BlockingQueue<RecordBatch> queue;

    // Guarded by this.
    private final IteratorPosition position;
    private boolean started;
    private boolean stopped;
    private boolean shardEnded;
    /** Counts subscriptions; events and ends of any but the current one are ignored. */
    private int generation;
    /** The current subscription's ended (or failed) signal was handled. */
    private boolean generationEnded;
    /** The current subscription's event stream, once Kinesis accepted it. */
    private Subscription subscription;
    private IteratorPosition.Start subscribedFrom;
    private Instant subscribedAt;
    private boolean firstEventSeen;
    /** A request(1) that no event answered yet. */
    private boolean demandOutstanding;
    /** When the outstanding event was requested (for the silence watchdog). */
    private long demandSinceNanos;
    private long queuedBytes;
    private long lastSubscribeNanos;
    private boolean subscribedBefore;
    private int failures;
    private int shardNotFound;
    private long eventsRequested;
    private long eventsReceived;
    private final String streamName;
    /** Told the stream's name when SubscribeToShard answers ResourceNotFound (multi-stream mode: stream deleted?). */
    private final java.util.function.Consumer<String> streamCheck;

    private ShardSubscription(Builder b) {
        this.kinesis = b.kinesis;
        this.streamName = b.streamName;
        this.streamCheck = b.streamCheck;
        this.consumerArn = b.consumerArn;
        this.shardId = b.shardId;
        this.range = b.range;
        this.maxBatches = b.maxBatches;
        this.maxBytes = b.maxBytes;
        this.scheduler = b.scheduler;
        this.time = b.time;
        this.metrics = b.metrics;
        this.backoff = b.backoff;
        this.failureReporter = new FailureReporter(log, metrics, time);
        this.resource = "shard " + shardId + " of stream consumer " + consumerArn;
        // one slot more than demand ever fills: the end of a shard that expired is queued without being requested
        this.queue = new ArrayBlockingQueue<>(maxBatches + 1);
        this.position = new IteratorPosition(b.streamName, shardId, b.checkpoint, b.initialPosition);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public synchronized void start() {
        if (!started) {
            started = true;
            subscribeAfter(Duration.ZERO);
        }
    }

    /** Stopped for good (closed, lease lost, or the shard ended). */
    synchronized boolean isStopped() {
        return stopped;
    }

    /**
     * Replaces a subscription that stays silent past {@link #SILENCE_LIMIT} (see there). Called periodically for all
     * of a worker's subscriptions by one task ({@link FanOutSources}), on the scheduler.
     */
    void checkSilence() {
        Subscription s;
        int gen;
        String what;
        synchronized (this) {
            if (stopped) {
                return;
            }
            long now = time.nanoTime();
            if (subscription != null && demandOutstanding && now - demandSinceNanos >= SILENCE_LIMIT.toNanos()) {
                what = "no event came for " + SILENCE_LIMIT.toSeconds() + " s although one was requested";
            } else if (subscription == null && !generationEnded && generation > 0
                    && now - lastSubscribeNanos >= SILENCE_LIMIT.toNanos()) {
                what = "SubscribeToShard was not accepted within " + SILENCE_LIMIT.toSeconds() + " s";
            } else {
                return;
            }
            s = subscription;
            gen = generation;
        }
        if (s != null) {
            s.cancel();
        }
        ended(gen, new TimeoutException(what + " (Kinesis sends an event every few seconds, even on an idle shard): "
                + "the connection is presumed hung"));
    }


    @Override
    public void stop() {
        Subscription s;
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            s = subscription;
            subscription = null;
        }
        if (s != null) {
            s.cancel(); // closes the HTTP/2 stream; Kinesis frees the shard's subscription soon after
        }
    }

    @Override
    public RecordBatch poll(Duration timeout) throws InterruptedException {
        RecordBatch b = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (b != null) {
            synchronized (this) {
                queuedBytes -= b.footprintBytes();
                requestIfRoom();
            }
        }
        return b;
    }

    /** Batches queued for the processor (tests). */
    synchronized int queued() {
        return queue.size();
    }

    /** Events requested and not received yet: 0 or 1 (tests). */
    synchronized long outstandingDemand() {
        return eventsRequested - eventsReceived;
    }

    /** Subscriptions started so far (tests). */
    synchronized int subscriptions() {
        return generation;
    }

    /** Requests one more event if none is outstanding and the queue has room for it. Holding the lock. */
    private void requestIfRoom() {
        if (subscription == null || demandOutstanding || stopped || shardEnded) {
            return;
        }
        if (queue.size() + 1 > maxBatches || queuedBytes >= maxBytes) {
            return; // the next poll() makes room and asks again
        }
        demandOutstanding = true;
        demandSinceNanos = time.nanoTime();
        eventsRequested++;
        subscription.request(1);
    }

    /** Subscribes after {@code delay}, and not sooner than a second after the previous subscribe. Holding the lock. */
    private void subscribeAfter(Duration delay) {
        if (stopped) {
            return;
        }
        long wait = delay.toNanos();
        if (subscribedBefore) {
            long sinceLast = time.nanoTime() - lastSubscribeNanos;
            wait = Math.max(wait, MIN_TIME_BETWEEN_SUBSCRIBES.toNanos() - sinceLast);
        }
        try {
            scheduler.schedule(this::subscribe, Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            stopped = true; // the consumer is shutting down
        }
    }

    private void subscribe() {
        SubscribeToShardRequest request;
        int gen;
        synchronized (this) {
            if (stopped) {
                return;
            }
            gen = ++generation;
            generationEnded = false;
            subscription = null;
            demandOutstanding = false;
            firstEventSeen = false;
            subscribedFrom = position.next();
            subscribedAt = time.wallTime(); // before the request: LATEST positions when Kinesis serves it
            lastSubscribeNanos = time.nanoTime();
            subscribedBefore = true;
            request = SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(shardId)
                    .startingPosition(StartingPosition.builder().type(subscribedFrom.type())
                            .sequenceNumber(subscribedFrom.sequenceNumber()).timestamp(subscribedFrom.timestamp())
                            .build())
                    .build();
        }
        log.debug("Shard {}: SubscribeToShard {} {}", shardId, request.startingPosition().typeAsString(),
                request.startingPosition().sequenceNumber());
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .onEventStream(publisher -> publisher.subscribe(new Events(gen)))
                .build();
        AwsCalls.call("kinesis:SubscribeToShard", resource, request, r -> kinesis.subscribeToShard(r, handler))
                .whenComplete((v, e) -> onScheduler(() -> ended(gen, e)));
    }

    /** Runs {@code task} on the scheduler: SDK threads hand over and return. */
    private void onScheduler(Runnable task) {
        try {
            scheduler.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    log.error("Shard {}: unexpected failure handling a subscription event; resubscribing", shardId, e);
                    restartAfterUnexpected(e);
                }
            });
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                stopped = true; // the consumer stopped its threads under an answer still on its way
            }
        }
    }

    private void restartAfterUnexpected(Throwable e) {
        Subscription s;
        int gen;
        synchronized (this) {
            s = subscription;
            gen = generation;
        }
        if (s != null) {
            s.cancel();
        }
        ended(gen, e);
    }

    private synchronized void subscribed(int gen, Subscription s) {
        if (gen != generation || stopped || generationEnded) {
            s.cancel();
            return;
        }
        subscription = s;
        requestIfRoom();
    }

    private synchronized void received(int gen, SubscribeToShardEventStream event) {
        if (gen != generation || stopped || generationEnded) {
            return;
        }
        eventsReceived++;
        demandOutstanding = false;
        if (!(event instanceof SubscribeToShardEvent e)) {
            requestIfRoom();
            return;
        }
        if (!firstEventSeen) {
            firstEventSeen = true;
            position.obtained(subscribedFrom.type(), subscribedAt);
        }
        if (failures > 0) {
            failureReporter.recovered();
            failures = 0;
        }
        shardNotFound = 0;
        String continuation = e.continuationSequenceNumber();
        boolean end = continuation == null;
        ReadResult read = ReadResult.of(shardId, e.hasRecords() ? e.records() : List.of(), range, position.floor(),
                e.millisBehindLatest() == null ? 0 : e.millisBehindLatest(), end,
                e.hasChildShards() ? e.childShards() : List.of());
        if (read.batch() != null) {
            queue.add(read.batch()); // room was there when this event was requested, and only poll() takes
            queuedBytes += read.batch().footprintBytes();
        }
        String last = continuation != null ? continuation
                : read.lastSequenceNumber() != null ? read.lastSequenceNumber() : position.lastFetchedSequenceNumber();
        position.advance(last, read.floor());
        read.report(shardId, metrics);
        if (end) {
            log.info("Shard {} reached its end", shardId);
            shardEnded = true;
            stopped = true;
            if (subscription != null) {
                subscription.cancel();
                subscription = null;
            }
            return;
        }
        requestIfRoom();
    }

    private void ended(int gen, Throwable error) {
        synchronized (this) {
            if (gen != generation || generationEnded) {
                return;
            }
            generationEnded = true;
            subscription = null;
            demandOutstanding = false;
            eventsReceived = eventsRequested; // what was requested of it will not come
            if (stopped) {
                return;
            }
            if (error == null) {
                log.debug("Shard {}: subscription completed; resubscribing after {}", shardId, position.describe());
                subscribeAfter(Duration.ZERO);
                return;
            }
            failures++;
        }
        Throwable cause = Failures.sdkCause(error);
        Duration delay = backoff.delay(failures);
        if (cause instanceof ResourceNotFoundException) {
            int times;
            synchronized (this) {
                times = ++shardNotFound;
            }
            if (streamCheck != null) {
                streamCheck.accept(streamName);
            }
            if (times >= ShardFetcher.SHARD_GONE_CONFIRMATIONS) {
                checkShardGone(gen, error, delay);
                return;
            }
            if (streamCheck != null) {
                // the stream is being checked; if it is gone, its leases are let go with one WARN for all shards
                log.debug("Shard {}: SubscribeToShard says the shard or the stream consumer does not exist (attempt"
                        + " {}); retrying in {}", shardId, times, delay);
                synchronized (this) {
                    subscribeAfter(delay);
                }
                return;
            }
            // a shard that was just created may briefly be unknown: as polling, only repeated answers count
            log.warn("Shard {}: SubscribeToShard says the shard or the stream consumer does not exist (attempt {});"
                    + " retrying in {}", shardId, times, delay);
            synchronized (this) {
                subscribeAfter(delay);
            }
            return;
        } else {
            synchronized (this) {
                shardNotFound = 0;
            }
        }
        if (cause instanceof ResourceInUseException || cause instanceof LimitExceededException) {
            // the shard's previous subscription (ours, or the previous lease owner's) is still open, or too many
            // subscribes: it passes
            log.debug("Shard {}: SubscribeToShard refused ({}); retrying in {}", shardId,
                    cause.getClass().getSimpleName(), delay);
        } else {
            failureReporter.report("Shard " + shardId + ": SubscribeToShard (attempt " + failures + ")",
                    "resubscribing in " + delay + " after " + position.describe(), error);
        }
        synchronized (this) {
            subscribeAfter(delay);
        }
    }

    /**
     * SubscribeToShard keeps saying the shard does not exist: if the stream consumer is ACTIVE, the shard expired past
     * the stream's retention (as polling concludes, {@link ShardFetcher}), and ends; else the consumer is the missing
     * resource (deregistered?), which is reported and retried.
     */
    private void checkShardGone(int gen, Throwable error, Duration delay) {
        AwsCalls.call("kinesis:DescribeStreamConsumer", resource, DescribeStreamConsumerRequest.builder()
                .consumerARN(consumerArn).build(), kinesis::describeStreamConsumer)
                .whenComplete((r, e) -> onScheduler(() -> {
                    boolean consumerActive = e == null
                            && r.consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE;
                    synchronized (this) {
                        if (gen != generation || stopped) {
                            return;
                        }
                        if (consumerActive) {
                            log.warn("Shard {} no longer exists while stream consumer {} does: it expired past the "
                                    + "stream's retention period, and any records in it that were not processed "
                                    + "are gone; ending it ({})", shardId, consumerArn, Failures.describe(error));
                            shardEnded = true;
                            stopped = true;
                            queue.add(new RecordBatch(List.of(), 0, 0, true, List.of(), 0));
                            return;
                        }
                    }
                    failureReporter.report("Shard " + shardId + ": SubscribeToShard says the shard or the stream "
                            + "consumer does not exist, and DescribeStreamConsumer of " + consumerArn
                            + (e == null ? " says it is " + r.consumerDescription().consumerStatusAsString()
                                    : " failed too (deregistered?)"),
                            "resubscribing in " + delay, e != null ? e : error);
                    synchronized (this) {
                        subscribeAfter(delay);
                    }
                }));
    }

    /** The event stream of one subscription: hands everything to the scheduler. */
    private final class Events implements Subscriber<SubscribeToShardEventStream> {
        private final int gen;

        Events(int gen) {
            this.gen = gen;
        }

        @Override
        public void onSubscribe(Subscription s) {
            onScheduler(() -> subscribed(gen, s));
        }

        @Override
        public void onNext(SubscribeToShardEventStream event) {
            onScheduler(() -> received(gen, event));
        }

        @Override
        public void onError(Throwable t) {
            onScheduler(() -> ended(gen, t));
        }

        @Override
        public void onComplete() {
            onScheduler(() -> ended(gen, null));
        }
    }

    /** The settings of one shard's subscription. */
    public static final class Builder {
        private KinesisAsyncClient kinesis;
        private String consumerArn;
        private String streamName;
        private java.util.function.Consumer<String> streamCheck;
        private String shardId;
        private HashKeyRange range;
        private ExtendedSequenceNumber checkpoint;
        private InitialPosition initialPosition;
        private int maxBatches;
        private long maxBytes;
        private ScheduledExecutorService scheduler;
        private Time time;
        private ConsumerMetrics metrics;
        private Backoff backoff;

        private Builder() {
        }

        /** Must speak HTTP/2 for SubscribeToShard. */
        public Builder kinesis(KinesisAsyncClient kinesis) {
            this.kinesis = kinesis;
            return this;
        }

        /** The registered stream consumer to subscribe with, and its stream. */
        public Builder consumer(String consumerArn, String streamName) {
            this.consumerArn = consumerArn;
            this.streamName = streamName;
            return this;
        }

        /** @param range user records of an aggregate outside it are dropped; null for no filter */
        public Builder shard(String shardId, HashKeyRange range) {
            this.shardId = shardId;
            this.range = range;
            return this;
        }

        /** The lease's checkpoint, and the initial position for an AT_TIMESTAMP sentinel's timestamp. */
        public Builder checkpoint(ExtendedSequenceNumber checkpoint, InitialPosition initialPosition) {
            this.checkpoint = checkpoint;
            this.initialPosition = initialPosition;
            return this;
        }

        /** Batches queued plus events requested stay at most {@code maxBatches}; no request at {@code maxBytes}. */
        public Builder bounds(int maxBatches, long maxBytes) {
            this.maxBatches = maxBatches;
            this.maxBytes = maxBytes;
            return this;
        }

        /** Subscribes, and handles events and ends (never on an SDK thread). */
        public Builder scheduler(ScheduledExecutorService scheduler, Time time) {
            this.scheduler = scheduler;
            this.time = time;
            return this;
        }

        public Builder metrics(ConsumerMetrics metrics) {
            this.metrics = metrics;
            return this;
        }

        /** Between failed subscriptions (at least a second apart anyway). */
        public Builder backoff(Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        /** Told the stream's name when SubscribeToShard answers ResourceNotFound; null: nobody. */
        public Builder streamCheck(java.util.function.Consumer<String> streamCheck) {
            this.streamCheck = streamCheck;
            return this;
        }

        public ShardSubscription build() {
            Objects.requireNonNull(kinesis, "kinesis");
            Objects.requireNonNull(consumerArn, "consumerArn");
            Objects.requireNonNull(streamName, "streamName");
            Objects.requireNonNull(shardId, "shardId");
            Objects.requireNonNull(checkpoint, "checkpoint");
            Objects.requireNonNull(initialPosition, "initialPosition");
            Objects.requireNonNull(scheduler, "scheduler");
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(metrics, "metrics");
            Objects.requireNonNull(backoff, "backoff");
            if (maxBatches < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("maxBatches and maxBytes must be positive, were " + maxBatches
                        + " and " + maxBytes);
            }
            return new ShardSubscription(this);
        }
    }
}
