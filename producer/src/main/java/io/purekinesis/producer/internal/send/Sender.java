package io.purekinesis.producer.internal.send;

import io.purekinesis.producer.Attempt;
import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.ProducerMetrics;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.KinesisEntry;
import io.purekinesis.producer.internal.LibraryApiName;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.batching.PutBatch;
import io.purekinesis.producer.internal.batching.StreamCollector;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import io.purekinesis.producer.internal.pipeline.StreamPipeline;
import io.purekinesis.producer.internal.pipeline.StreamRegistry;
import io.purekinesis.producer.internal.retry.ResultHandler;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/**
 * The one sender loop, run on a named daemon thread: asks each stream's pipeline for the PutRecords calls it may
 * send now ({@link StreamPipeline#readyCalls}, within {@code maxConcurrentRequests}) and sends them
 * asynchronously; then lets the {@link StreamRegistry} start queued shard-map loads and release idle pipelines. It
 * sleeps until the next deadline or a {@link #wakeup()} (a full or new batch, a finished call, a flush). SDK
 * futures complete on SDK threads, which hand the answer to the {@link ResultHandler}; the batch itself says where
 * its retries and routing feedback go. No lock is held while calling the SDK.
 *
 * <p>On close it fails what is still buffered or in flight ({@link #abortAll}).
 */
public final class Sender implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Sender.class);
    /** Longest sleep without a deadline: bounds the effect of a missed signal or a manual test clock. */
    static final long MAX_PARK_MILLIS = 50;
    private static final long METRICS_SAMPLE_MILLIS = 1000;

    private final ProducerConfig config;
    private final Clock clock;
    private final KinesisAsyncClient client;
    private final ResultHandler resultHandler;
    private final Completer completer;
    private final MemoryBudget budget;
    private final ProducerMetrics metrics;
    private final StreamRegistry streams;
    private final Collection<StreamPipeline> pipelines;
    /** PutRecords calls sent whose answer has not been handled yet. */
    private final AtomicInteger callsInFlight = new AtomicInteger();
    /**
     * Every batch drained from a collector whose answer has not been fully handled yet: registered while the
     * drain still holds {@link #abortLock} (so close sees it even before the SDK call is made), removed after its
     * result handler returned. {@link #abortAll} fails the records of each; {@link UserRecord#markDone()} decides
     * whether close or the handler wins.
     */
    private final Set<PutBatch> active = ConcurrentHashMap.newKeySet();
    /** The SDK call of each sent batch, to cancel on close. */
    private final Map<PutBatch, CompletableFuture<PutRecordsResponse>> calls = new ConcurrentHashMap<>();
    /**
     * Held by the loop while it moves records between a pipeline's stages (and registers drained batches) and by
     * {@link #abortAll} to stop that: afterwards every unfinished record is in a pipeline or an active batch.
     * Only CPU work happens under it.
     */
    private final Object abortLock = new Object();
    private boolean aborted; // guarded by abortLock
    /** {@link #aborted}, readable without the lock (by adds checking whether their record can still go). */
    private volatile boolean abortStarted;
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final AtomicBoolean flushRequested = new AtomicBoolean();
    private volatile boolean running = true;
    private volatile Thread thread;
    private long nextMetricsSample;
    private volatile long passes; // written by the loop thread only

    public Sender(ProducerConfig config, KinesisAsyncClient client, ResultHandler resultHandler, Completer completer,
            MemoryBudget budget, ProducerMetrics metrics, StreamRegistry streams) {
        this.config = config;
        this.clock = config.clock();
        this.client = client;
        this.resultHandler = resultHandler;
        this.completer = completer;
        this.budget = budget;
        this.metrics = metrics;
        this.streams = streams;
        this.pipelines = streams.pipelines();
    }

    /** Starts the loop on a daemon thread with this name. */
    public Thread start(String threadName) {
        Thread t = new Thread(this, threadName);
        t.setDaemon(true);
        thread = t;
        t.start();
        return t;
    }

    /** Wakes the loop; cheap when it is already awake. */
    public void wakeup() {
        if (!signalled.getAndSet(true)) {
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Sends everything buffered now, whatever its buffered time. */
    public void flush() {
        flushRequested.set(true);
        wakeup();
    }

    @Override
    public void run() {
        LOG.debug("Sender started");
        while (running) {
            try {
                long nextWake = runOnce();
                long waitMillis = Math.min(MAX_PARK_MILLIS, nextWake - clock.millis());
                if (waitMillis > 0 && !signalled.get()) {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(waitMillis));
                }
                signalled.set(false);
            } catch (Throwable t) {
                LOG.error("Sender loop failed; continuing", t);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        streams.stopped();
        LOG.debug("Sender stopped");
    }

    /**
     * True when a new send deadline (a new aggregate, a first queued entry) must wake the loop: only when the
     * buffered time is shorter than two of its longest sleeps. Otherwise its own cadence (a pass at least every
     * {@value #MAX_PARK_MILLIS} ms, each taking in every deadline) meets the deadline, and waking per new aggregate
     * would cost a pass over every shard per new aggregate. The producer passes the answer to its pipelines
     * ({@link StreamPipeline.Shared#wakeOnNewDeadline()}).
     */
    public static boolean deadlineWakeupsNeeded(long maxBufferedMillis) {
        return maxBufferedMillis < 2 * MAX_PARK_MILLIS;
    }

    /** PutRecords calls sent whose answer is not fully handled yet (diagnostics and tests). */
    public int inFlightRequests() {
        return callsInFlight.get();
    }

    /** Passes of the loop so far (diagnostics and tests). */
    public long passes() {
        return passes;
    }

    /** One pass over every stream. @return when the next pass is needed at the latest */
    long runOnce() {
        passes++;
        signalled.set(false);
        long now = clock.millis();
        long nextWake = now + MAX_PARK_MILLIS;
        boolean flush = flushRequested.getAndSet(false);
        if (budget.takeRanOut() && callsInFlight.get() == 0) {
            // Adds wait for room (or failed for lack of it) and no call is in flight to free any: without this,
            // nothing would go before the buffered time, and throughput would be maxOutstandingRecords per
            // recordMaxBufferedTime. As Kafka's accumulator does when its pool is exhausted: send what there is.
            flush = true;
        }
        for (StreamPipeline p : pipelines) {
            StreamCollector.Drained ready;
            synchronized (abortLock) {
                if (aborted) {
                    return nextWake;
                }
                int permits = config.maxConcurrentRequests() - callsInFlight.get();
                ready = p.readyCalls(now, Math.max(0, permits), flush);
                active.addAll(ready.batches);
            }
            for (PutBatch batch : ready.batches) {
                send(batch, now);
            }
            nextWake = Math.min(nextWake, ready.nextWakeMillis);
        }
        synchronized (abortLock) {
            if (!aborted) {
                streams.maintain(now);
            }
        }
        if (now >= nextMetricsSample) {
            nextMetricsSample = now + METRICS_SAMPLE_MILLIS;
            metrics.outstanding(budget.outstandingRecords(), budget.outstandingBytes());
        }
        return nextWake;
    }

    private void send(PutBatch batch, long now) {
        callsInFlight.incrementAndGet();
        long start = clock.millis();
        CompletableFuture<PutRecordsResponse> call;
        try {
            call = client.putRecords(request(batch, now));
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        if (call == null) {
            call = CompletableFuture.failedFuture(new NullPointerException("putRecords returned null"));
        }
        calls.put(batch, call);
        CompletableFuture<PutRecordsResponse> sdkCall = call;
        call.thenApply(r -> r).orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((response, error) -> {
                    try {
                        if (error instanceof TimeoutException) {
                            sdkCall.cancel(true);
                            // orTimeout's exception has no message: say what timed out, for the dead letter
                            error = new TimeoutException("PutRecords did not answer within requestTimeout ("
                                    + config.requestTimeout().toMillis() + " ms)");
                        }
                        // After close failed this batch's records, handling is harmless: every outcome of an
                        // already decided record is dropped, and an aborted collector takes no retries.
                        resultHandler.onComplete(batch, start, response, error);
                    } catch (RuntimeException e) {
                        LOG.error("Handling a PutRecords result failed", e);
                    } finally {
                        calls.remove(batch);
                        active.remove(batch);
                        callsInFlight.decrementAndGet();
                        wakeup();
                    }
                });
    }

    private PutRecordsRequest request(PutBatch batch, long now) {
        List<KinesisEntry> entries = batch.entries();
        List<PutRecordsRequestEntry> sdkEntries = new ArrayList<>(entries.size());
        for (KinesisEntry e : entries) {
            sdkEntries.add(e.sdkEntry());
            if (e.attempts().isEmpty()) {
                metrics.bufferingTime(batch.stream(), now - e.oldestArrivalMillis());
            }
        }
        // A pipeline is keyed by the stream's name (an ARN spelling was checked to name the same stream).
        return LibraryApiName.tag(PutRecordsRequest.builder()).records(sdkEntries).streamName(batch.stream())
                .build();
    }

    /** True once {@link #abortAll} began: nothing appended to a pipeline from then on will be sent or aborted. */
    public boolean isAborted() {
        return abortStarted;
    }

    /** Stops the loop and waits up to {@code timeoutMillis} for it to end. */
    public void stop(long timeoutMillis) throws InterruptedException {
        running = false;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            if (t != Thread.currentThread()) {
                t.join(Math.max(1, timeoutMillis));
            }
        }
    }

    /**
     * After {@link #stop}: fails every record still buffered or in flight with {@link FailureReason#PRODUCER_CLOSED}
     * (dead-lettering them) and cancels the calls in flight. Safe even when the loop did not stop (a blocked SDK
     * call): it sends nothing more afterwards.
     *
     * @return exactly the records this call failed: every record whose outcome was not decided before
     */
    public List<FailedRecord> abortAll() {
        synchronized (abortLock) {
            aborted = true;
            abortStarted = true;
        }
        List<FailedRecord> failed = new ArrayList<>();
        // Active batches first: a batch that leaves this set later already queued its retries and wrong-shard
        // records into its pipeline, which is aborted next.
        for (PutBatch batch : List.copyOf(active)) {
            for (KinesisEntry e : batch.entries()) {
                failed.addAll(fail(e.stream(), e.records(), e.attempts()));
            }
            CompletableFuture<PutRecordsResponse> call = calls.get(batch);
            if (call != null) {
                call.cancel(true);
            }
        }
        for (StreamPipeline p : pipelines) {
            p.abort((records, attempts) -> failed.addAll(fail(p.stream(), records, attempts)));
        }
        return failed;
    }

    private List<FailedRecord> fail(String stream, List<UserRecord> records, List<Attempt> attempts) {
        Attempt last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
        return completer.fail(stream, records, attempts, FailureReason.PRODUCER_CLOSED,
                last == null ? null : last.errorCode(), "producer closed before the record was stored", null);
    }
}
