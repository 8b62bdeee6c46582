package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.internal.aws.AwsErrors;
import io.purekinesis.internal.retry.Backoff;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.internal.Completer;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.retry.RetryPolicy;
import io.purekinesis.producer.internal.shardmap.LoadLimiter;
import io.purekinesis.producer.internal.shardmap.ShardMapLoader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one stream's shard map: loads it (ListShards; first DescribeStreamSummary when records added by an ARN
 * wait for the stream's ARN) with a slot of the producer's {@link LoadLimiter} (first loads queue there, refreshes
 * of a working map go first), refreshes it every {@link ProducerConfig#shardMapRefreshInterval()} or sooner when
 * an answer asked for it, and backs off after failed loads. It classifies load failures: a missing or refusing
 * stream fails its waiting records and is reported to the {@link StreamPipeline.Host} (which remembers it and stops
 * routing there); a refused DescribeStreamSummary fails only the records added by an ARN; anything else is retried,
 * and waiting records whose TTL passed fail naming the last load error.
 *
 * <p>Runs on the sender thread, except {@link #requestRefresh} and {@link #streamFailed} (SDK threads) and the end
 * of a load (an SDK thread hands its outcome over and wakes the sender).
 */
final class ShardMapKeeper {

    private static final Logger LOG = LoggerFactory.getLogger(ShardMapKeeper.class);
    /** Least time between two reloads asked for by results that landed on an unexpected shard. */
    static final long MIN_REFRESH_GAP_MILLIS = 1000;

    /** Why the stream failed for good. */
    private record StreamFailure(FailureReason reason, String errorCode, String message, Throwable cause) {
    }

    private final String stream;
    private final ProducerConfig config;
    private final ShardMapLoader loader;
    private final Completer completer;
    private final RecordRouter router;
    private final StreamPipeline owner;
    private final StreamPipeline.Host host;
    private final Runnable waker;
    private final Backoff loadBackoff = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), null);
    /** A finished load's {@link ShardMapLoader.Loaded} or {@link ShardMapLoader.LoadFailedException}. */
    private final AtomicReference<Object> loadOutcome = new AtomicReference<>();
    private volatile boolean refreshRequested;
    /** Set once the stream failed for good. */
    private volatile StreamFailure permanentFailure;
    // sender thread only:
    private boolean loading;
    private long version;
    private int loadFailures;
    private long nextLoadMillis;
    private long lastLoadStartMillis = Long.MIN_VALUE / 2;
    private boolean queuedForLoad;
    /** The last failed load's error and call, for records that expire waiting for the shard map. */
    private Throwable lastLoadError;
    private String lastLoadOperation;
    /** A shard map was loaded at least once. */
    private boolean loadedOnce;

    ShardMapKeeper(String stream, ProducerConfig config, ShardMapLoader loader, Completer completer,
            RecordRouter router, StreamPipeline owner, StreamPipeline.Host host, Runnable waker) {
        this.stream = stream;
        this.config = config;
        this.loader = loader;
        this.completer = completer;
        this.router = router;
        this.owner = owner;
        this.host = host;
        this.waker = waker;
    }

    /**
     * Sender thread: applies a finished load; queues a first shard-map load (or one that verifies an ARN) when
     * records wait for it, takes a refresh slot when the refresh interval passed or a result asked for one; fails
     * waiting records whose TTL passed.
     */
    void maintain(long now) {
        Object outcome = loadOutcome.getAndSet(null);
        if (outcome != null) {
            loading = false;
            if (outcome instanceof ShardMapLoader.Loaded loaded) {
                applyLoaded(loaded, now);
            } else {
                applyFailure((ShardMapLoader.LoadFailedException) outcome, now);
            }
        }
        boolean waiting = router.hasWaiting();
        StreamFailure failure = permanentFailure;
        if (waiting && failure != null) {
            // Appends that passed the refusal check just before the stream failed: they fail the same way.
            fail(router.takeWaiting(), failure.reason(), failure.errorCode(), failure.message(), failure.cause());
            waiting = false;
        }
        if (!loading && !owner.isRefusing()) {
            boolean haveMap = router.shardMap() != null;
            boolean first = !haveMap && (waiting || owner.hasWrongShards());
            boolean verify = haveMap && router.holdsNew();
            boolean due = haveMap && (now >= nextLoadMillis
                    || ((refreshRequested || verify) && now >= lastLoadStartMillis + MIN_REFRESH_GAP_MILLIS));
            if (first && now >= nextLoadMillis) {
                if (!queuedForLoad) {
                    queuedForLoad = true;
                    host.loads().enqueue(this);
                }
            } else if (due && host.loads().tryAcquireRefresh()) {
                startLoad(now);
            }
        }
        if (waiting && !loading) {
            expireWaiting(now);
        }
    }

    /** Sender thread, after {@link #maintain} and re-routing: when this stream next needs a look for its map. */
    long nextLookMillis() {
        if (loading || queuedForLoad) {
            return Long.MAX_VALUE; // completion wakes the sender
        }
        if (refreshRequested || router.holdsNew()) {
            return lastLoadStartMillis + MIN_REFRESH_GAP_MILLIS;
        }
        return router.shardMap() == null && !router.hasWaiting() ? Long.MAX_VALUE : nextLoadMillis;
    }

    /**
     * Sender thread, from the load limiter: starts the queued first load with the slot it was given.
     *
     * @return false when no load is needed any more (released, or nothing waits): the slot goes back
     */
    boolean startQueuedLoad(long now) {
        queuedForLoad = false;
        if (owner.isRefusing() || loading || (router.shardMap() != null && !router.holdsNew())
                || (!router.hasWaiting() && !owner.hasWrongShards())) {
            return false;
        }
        startLoad(now);
        return true;
    }

    /** With a slot of the load limiter, released when the load ends. */
    private void startLoad(long now) {
        loading = true;
        refreshRequested = false;
        lastLoadStartMillis = now;
        long v = ++version;
        boolean describe = router.holdsNew() && router.verifiedArn() == null;
        CompletableFuture<ShardMapLoader.Loaded> load;
        try {
            load = loader.load(stream, v, describe);
        } catch (RuntimeException e) {
            load = CompletableFuture.failedFuture(e);
        }
        load.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((loaded, error) -> {
            host.loads().release();
            Object result = loaded;
            if (error != null) {
                ShardMapLoader.LoadFailedException failed = failure(error);
                Throwable cause = failed != null ? failed.getCause() : AwsErrors.unwrap(error);
                String operation = failed != null ? failed.operation() : describe ? "DescribeStreamSummary"
                        : "ListShards";
                if (cause instanceof TimeoutException && cause.getMessage() == null) {
                    cause = new TimeoutException(operation + " did not answer within requestTimeout ("
                            + config.requestTimeout().toMillis() + " ms)");
                }
                result = new ShardMapLoader.LoadFailedException(operation, cause);
            }
            loadOutcome.set(result);
            waker.run();
        });
    }

    private static ShardMapLoader.LoadFailedException failure(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ShardMapLoader.LoadFailedException f) {
                return f;
            }
        }
        return null;
    }

    private void applyLoaded(ShardMapLoader.Loaded loaded, long now) {
        loadFailures = 0;
        lastLoadError = null;
        nextLoadMillis = now + config.shardMapRefreshInterval().toMillis();
        boolean first = !loadedOnce;
        loadedOnce = true;
        host.streamLoaded(owner, first);
        for (RecordRouter.Misaddressed m : router.mapLoaded(loaded.map(), loaded.arn())) {
            completer.fail(stream, List.of(m.record()), List.of(), FailureReason.NON_RETRYABLE_ERROR, null,
                    router.wrongArnMessage(m.arn()), null);
        }
    }

    private void applyFailure(ShardMapLoader.LoadFailedException failed, long now) {
        Throwable error = failed.getCause();
        String operation = failed.operation();
        lastLoadError = error;
        lastLoadOperation = operation;
        loadFailures++;
        String code = AwsErrors.errorCodeOrType(error);
        String errorMessage = AwsErrors.errorMessage(error);
        FailureReason permanent = RetryPolicy.permanentReason(code, error);
        if (permanent != null && operation.equals("DescribeStreamSummary")
                && permanent != FailureReason.STREAM_NOT_FOUND) {
            // Only the records added by an ARN needed it: they fail, the others go on with a plain load.
            fail(router.takeAddressed(), permanent, code, permanent == FailureReason.NOT_AUTHORIZED
                    ? RetryPolicy.notAuthorizedMessage(stream, operation, code, errorMessage, error)
                    + " (DescribeStreamSummary verifies a stream ARN once; add records by the stream's name to do "
                    + "without it)" : operation + " of stream '" + stream + "' failed: " + errorMessage, error);
            nextLoadMillis = now;
            return;
        }
        if (permanent != null) {
            String message = permanentMessage(permanent, operation, code, errorMessage, error);
            nextLoadMillis = now + MIN_REFRESH_GAP_MILLIS;
            if (permanent == FailureReason.NON_RETRYABLE_ERROR) {
                LOG.warn("Cannot load the shard map of stream {} ({}: {}): failing its waiting records", stream, code,
                        errorMessage);
            } else {
                // Logged by the host, which keeps thousands of failed streams from flooding the log.
                // Before the records fail: whoever sees them fail and adds again must find the stream remembered.
                permanentFailure = new StreamFailure(permanent, code, message, error);
                host.streamFailed(owner, permanent, code, message, error);
            }
            fail(router.takeWaiting(), permanent, code, message, error);
            return;
        }
        long delay = loadBackoff.delayMillis(loadFailures);
        nextLoadMillis = now + Math.max(10, delay);
        LOG.warn("Loading the shard map of stream {} failed (attempt {}), retrying in {} ms: {}: {}", stream,
                loadFailures, delay, operation, error.toString());
        expireWaiting(now);
    }

    private String permanentMessage(FailureReason permanent, String operation, String code, String errorMessage,
            Throwable error) {
        if (permanent == FailureReason.NOT_AUTHORIZED) {
            return RetryPolicy.notAuthorizedMessage(stream, operation, code, errorMessage, error);
        }
        if (permanent == FailureReason.STREAM_NOT_FOUND) {
            return "stream '" + stream + "' not found (" + operation + ": " + errorMessage + "): check the "
                    + "stream name, the producer's region and account (the credentials')"
                    + (operation.equals("DescribeStreamSummary") ? "; records added by a stream ARN name "
                    + "a stream of the producer's own account: for another account's stream use a producer "
                    + "whose credentials belong to that account" : "");
        }
        return operation + " of stream '" + stream + "' failed: " + errorMessage;
    }

    /** Fails waiting records whose TTL passed, naming why no shard map came: the last load error, or the queue. */
    private void expireWaiting(long now) {
        List<UserRecord> expired = router.takeExpired(now);
        if (expired.isEmpty()) {
            return;
        }
        Throwable last = lastLoadError;
        String code = last == null ? null : AwsErrors.errorCodeOrType(last);
        String message;
        if (last != null) {
            message = "the shard map of stream '" + stream + "' could not be loaded before the record's TTL; last "
                    + lastLoadOperation + " error: " + code + ": " + AwsErrors.errorMessage(last);
        } else if (queuedForLoad) {
            message = "the shard map of stream '" + stream + "' was not loaded before the record's TTL: it waited "
                    + "for one of the producer's shard-map load slots (" + host.loads().inFlight() + " loads in "
                    + "flight, " + host.loads().waiting() + " streams waiting)";
        } else {
            message = "the shard map of stream '" + stream + "' was not loaded before the record's TTL";
        }
        completer.fail(stream, expired, List.of(), FailureReason.TTL_EXPIRED, code, message, last);
    }

    private void fail(List<UserRecord> records, FailureReason reason, String code, String message, Throwable cause) {
        completer.fail(stream, records, List.of(), reason, code, message, cause);
    }

    /** Any thread: a result asked for a reload soon. */
    void requestRefresh() {
        refreshRequested = true;
    }

    /** Result handler (SDK thread): a whole call said the stream is gone or refuses us. */
    void streamFailed(FailureReason reason, String errorCode, String message, Throwable cause) {
        permanentFailure = new StreamFailure(reason, errorCode, message, cause);
        host.streamFailed(owner, reason, errorCode, message, cause);
        waker.run();
    }

    /** Whether a shard map was ever loaded (sender thread). */
    boolean loadedOnce() {
        return loadedOnce;
    }

    /** A load is running (sender thread). */
    boolean isLoading() {
        return loading;
    }
}
