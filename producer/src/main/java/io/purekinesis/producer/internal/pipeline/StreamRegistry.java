package io.purekinesis.producer.internal.pipeline;

import io.purekinesis.internal.kinesis.StreamNames;
import io.purekinesis.internal.kinesis.StreamNames.StreamRef;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.internal.UserRecord;
import io.purekinesis.producer.internal.shardmap.FailedStreams;
import io.purekinesis.producer.internal.shardmap.LoadLimiter;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's streams: one {@link StreamPipeline} per stream, whatever its spelling (name or ARN of the
 * producer's region), created on first use and released when idle ({@link ProducerConfig#streamIdleTimeout()})
 * or failed; the shard-map load slots they share ({@link #MAX_SHARD_MAP_LOADS}); and the memory of streams that
 * do not exist or refuse the producer ({@link FailedStreams}), whose records then fail at once through their
 * futures. So per-stream state follows the streams in use, and any number of bad names costs bounded memory and
 * at most {@link #MAX_SHARD_MAP_LOADS} calls in flight.
 *
 * <p>The hot path ({@link #spelling}, {@link #append}) is two map lookups for a spelling already seen: no regex,
 * no ARN parsing. Spellings are cached up to {@link #MAX_SPELLINGS} (then the cache starts again).
 */
public final class StreamRegistry implements StreamPipeline.Host {

    private static final Logger LOG = LoggerFactory.getLogger(StreamRegistry.class);
    /** Shard-map loads (ListShards, DescribeStreamSummary) in flight at once, per producer. */
    public static final int MAX_SHARD_MAP_LOADS = 8;
    /** Of those, slots that only refreshes of working streams may take (new streams use the others). */
    public static final int LOAD_SLOTS_RESERVED_FOR_REFRESHES = 2;
    /** Distinct stream spellings remembered (name or ARN to the stream they name). */
    public static final int MAX_SPELLINGS = 4096;
    /**
     * Streams waiting for their first shard map at once. Beyond it a record to yet another new stream fails at
     * once: each waiting stream keeps a pipeline (under a kilobyte) for up to the TTL, and the budget bounds only
     * records, so a flood of distinct names would otherwise grow memory with the number of names.
     */
    public static final int MAX_NEW_STREAMS_WAITING = 4096;

    /** A validated spelling: the stream's name, and the ARN when spelled by ARN. */
    public record Spelling(String name, String arn) {
    }

    /** A stream whose records fail at once for now (the failure remembered). */
    private record Refusal(String stream, FailureReason reason, String errorCode, String message, Throwable cause) {
    }

    private final StreamPipeline.Shared shared;
    private final ProducerConfig config;
    private final String region;
    private final long idleMillis;
    private final ConcurrentHashMap<String, Spelling> spellings = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, StreamPipeline> byName = new ConcurrentHashMap<>();
    /** Every pipeline the sender serves: those in {@link #byName} and failed ones still draining. */
    private final Set<StreamPipeline> all = ConcurrentHashMap.newKeySet();
    private final FailedStreams failed;
    private final StreamFailureLog failureLog = new StreamFailureLog();
    /** Pipelines made and not yet loaded once (nor released). */
    private final AtomicInteger newStreams = new AtomicInteger();
    private final LoadLimiter<ShardMapKeeper> loads =
            new LoadLimiter<>(MAX_SHARD_MAP_LOADS, LOAD_SLOTS_RESERVED_FOR_REFRESHES);
    private long nextPurgeMillis;

    /**
     * @param region the region of the producer's Kinesis client (ARNs of other regions are refused), or null when
     *     it cannot be told (no check)
     */
    public StreamRegistry(StreamPipeline.Shared shared, String region) {
        this.shared = shared;
        this.config = shared.config();
        this.region = region;
        this.idleMillis = config.streamIdleTimeout().toMillis();
        this.failed = new FailedStreams(config.shardMapRefreshInterval().toMillis());
    }

    /**
     * The stream a spelling names, validated once per spelling.
     *
     * @throws IllegalArgumentException for a malformed name or ARN, or an ARN of another region
     */
    public Spelling spelling(String stream) {
        Spelling s = stream == null ? null : spellings.get(stream);
        if (s != null) {
            return s;
        }
        StreamRef ref = StreamNames.parse(stream);
        if (ref.region() != null && region != null && !region.equals(ref.region())) {
            throw new IllegalArgumentException("stream ARN " + stream + " is in region " + ref.region() + ", but "
                    + "this producer's Kinesis client is for region " + region + ": a producer writes to the streams "
                    + "of its own region; use a producer whose region (ProducerConfig.region or the kinesisClient's) "
                    + "is " + ref.region());
        }
        s = new Spelling(ref.name(), ref.arn());
        if (spellings.size() >= MAX_SPELLINGS) {
            spellings.clear();
        }
        spellings.put(stream, s);
        return s;
    }

    /**
     * User thread: hands the record to its stream's pipeline (made on first use), resolving the stream again if the
     * pipeline was released meanwhile, and wakes the sender when the pipeline asks for it. A stream remembered as
     * missing or refusing fails the record at once, through its future.
     *
     * @throws IllegalArgumentException when the record's ARN is not the stream's (another account)
     */
    public void append(Spelling spelling, UserRecord record, long nowMillis) {
        while (true) {
            Object target = target(spelling, nowMillis);
            if (target instanceof Refusal refusal) {
                shared.completer().fail(refusal.stream(), List.of(record), List.of(), refusal.reason(),
                        refusal.errorCode(), refusal.message(), refusal.cause());
                return;
            }
            StreamPipeline pipeline = (StreamPipeline) target;
            switch (pipeline.append(record, spelling.arn())) {
                case WAKE -> {
                    shared.waker().run();
                    return;
                }
                case QUIET -> {
                    return;
                }
                case WRONG_ARN -> throw new IllegalArgumentException(pipeline.wrongArnMessage(spelling.arn()));
                case REFUSED -> Thread.onSpinWait(); // released or failed just now: resolve again
                default -> throw new IllegalStateException();
            }
        }
    }

    /**
     * Where a record of this stream goes now: its pipeline (created if needed), or a {@link Refusal} while the
     * stream is remembered as missing or refusing the producer.
     */
    private Object target(Spelling spelling, long nowMillis) {
        StreamPipeline p = byName.get(spelling.name());
        if (p != null && !p.isRefusing()) {
            return p;
        }
        FailedStreams.Failure f = failed.blocking(spelling.name(), nowMillis);
        if (f != null) {
            return new Refusal(spelling.name(), f.reason(), f.errorCode(), f.message() + " (remembered since "
                    + Instant.ofEpochMilli(f.sinceMillis()) + " after " + f.failures() + (f.failures() == 1
                    ? " failure" : " consecutive failures") + "; records to it fail at once until "
                    + Instant.ofEpochMilli(f.untilMillis()) + ", then it is tried again)", f.cause());
        }
        if (p == null && newStreams.get() >= MAX_NEW_STREAMS_WAITING) {
            return new Refusal(spelling.name(), FailureReason.NON_RETRYABLE_ERROR, "TooManyNewStreams",
                    "stream '" + spelling.name() + "' was not tried: " + newStreams.get() + " other streams are "
                            + "already waiting for their first shard map (at most " + MAX_NEW_STREAMS_WAITING
                            + "); are that many distinct stream names meant?", null);
        }
        return byName.computeIfAbsent(spelling.name(), name -> {
            StreamPipeline created = new StreamPipeline(name, shared, this);
            newStreams.incrementAndGet();
            all.add(created);
            return created;
        });
    }

    /** The pipelines the sender serves. */
    public Collection<StreamPipeline> pipelines() {
        return all;
    }

    /** The routable pipeline of a stream name, or null (tests, diagnostics). */
    public StreamPipeline pipeline(String name) {
        return byName.get(name);
    }

    /** Streams waiting for their first shard map (tests, diagnostics). */
    public int newStreams() {
        return newStreams.get();
    }

    /** Streams remembered as failed (tests, diagnostics). */
    public int failedStreams() {
        return failed.size();
    }

    @Override
    public LoadLimiter<ShardMapKeeper> loads() {
        return loads;
    }

    @Override
    public void streamFailed(StreamPipeline pipeline, FailureReason reason, String errorCode, String message,
            Throwable cause) {
        failed.failed(pipeline.stream(), reason, errorCode, message, cause, config.clock().millis());
        pipeline.refuse();
        byName.remove(pipeline.stream(), pipeline);
        failureLog.failed(pipeline.stream(), reason, message, config.clock().millis());
    }

    @Override
    public void streamLoaded(StreamPipeline pipeline, boolean first) {
        if (first) {
            newStreams.decrementAndGet();
        }
        failed.succeeded(pipeline.stream());
    }

    /** Sender thread, as it ends: what the failure log still holds is written now. */
    public void stopped() {
        failureLog.flush();
    }

    /**
     * Sender thread, once per pass: writes the failure log's summary of a minute that ended, starts queued first
     * loads with free slots, releases pipelines idle for {@link ProducerConfig#streamIdleTimeout()} and failed ones
     * that drained.
     */
    public void maintain(long nowMillis) {
        failureLog.tick(nowMillis);
        loads.startWaiting(keeper -> keeper.startQueuedLoad(nowMillis));
        for (StreamPipeline p : all) {
            boolean release = p.isRefusing() ? p.tryRelease() : p.idleFor(nowMillis, idleMillis) && p.tryRelease();
            if (release) {
                byName.remove(p.stream(), p);
                all.remove(p);
                if (!p.loadedOnce()) {
                    newStreams.decrementAndGet();
                }
                LOG.debug("Released the pipeline of stream {}", p.stream());
            }
        }
        if (nowMillis >= nextPurgeMillis) {
            nextPurgeMillis = nowMillis + 1000;
            failed.purge(nowMillis);
        }
    }
}
