package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.StreamTracker;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.internal.kinesis.StreamNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The streams this worker reads now. Single-stream mode: the one configured stream, lease keys = shard ids.
 * Multi-stream mode: what the {@link StreamTracker} lists, each resolved once with DescribeStreamSummary (ARN and
 * creation time: its {@link StreamKey}), lease keys {@code account:stream:creationEpoch:shardId}; asked again by
 * {@link #refresh()}, which tells the {@link Listener}s what was added and removed. Every worker keeps its own view
 * (the tracker is local), so each lets go of a removed stream by itself.
 */
public final class TrackedStreams {

    private static final Logger log = LoggerFactory.getLogger(TrackedStreams.class);

    /** Told on the thread of {@link #refresh()} (a lease thread); must return quickly. */
    public interface Listener {
        default void added(TrackedStream stream) {
        }

        default void removed(TrackedStream stream) {
        }
    }

    /** How a multi-stream lease row relates to the streams read now. */
    public enum Relation {
        /** Its stream is read now. */
        TRACKED,
        /** A stream of that account and name is read now, created later: the row is a former stream's. */
        FORMER,
        /** Its stream is not read now (removed, or another application's stream in a shared table). */
        UNTRACKED
    }

    private final KinesisAsyncClient kinesis;
    private final StreamTracker tracker;
    private final String singleStream;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Spelling (name or ARN) -> stream; replaced whole on change. */
    private volatile Map<String, TrackedStream> streams = Map.of();
    /** Prefix -> stream, multi-stream mode. */
    private volatile Map<StreamKey, TrackedStream> byKey = Map.of();
    /** Streams a {@link #checkGone} call is describing now. */
    private final Set<TrackedStream> checking = ConcurrentHashMap.newKeySet();
    /** Spellings the tracker lists that could not be resolved: reported once until they resolve. */
    private final Set<String> unresolved = new HashSet<>();

    private TrackedStreams(KinesisAsyncClient kinesis, StreamTracker tracker, String singleStream) {
        this.kinesis = kinesis;
        this.tracker = tracker;
        this.singleStream = singleStream;
    }

    /** Single-stream mode: {@code stream} (name or ARN). */
    public static TrackedStreams single(KinesisAsyncClient kinesis, String stream) {
        return new TrackedStreams(kinesis, null, stream);
    }

    /** Multi-stream mode: what {@code tracker} lists. */
    public static TrackedStreams multi(KinesisAsyncClient kinesis, StreamTracker tracker) {
        return new TrackedStreams(kinesis, tracker, null);
    }

    public boolean isMultiStream() {
        return tracker != null;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /**
     * Resolves every stream at start: one that does not exist, or an ARN of another account or region than the
     * client's, is an error naming it.
     *
     * @throws KinesisConsumerException for a stream that does not exist or an ARN the client cannot reach
     */
    public synchronized List<TrackedStream> start() {
        List<String> wanted = tracker == null ? List.of(singleStream) : ask();
        if (wanted == null) {
            throw new KinesisConsumerException("the stream tracker answered null or failed (see the WARN above): the "
                    + "consumer needs the list of streams to start");
        }
        Map<String, TrackedStream> now = new LinkedHashMap<>();
        for (String s : wanted) {
            now.put(s, resolve(s));
        }
        set(now);
        return List.copyOf(now.values());
    }

    /**
     * Asks the tracker again (multi-stream mode): resolves new streams (one that cannot be resolved is reported at
     * WARN once and tried again next time), tells the listeners what was added and removed.
     */
    public synchronized void refresh() {
        if (tracker == null) {
            return;
        }
        List<String> wanted = ask();
        if (wanted == null) {
            return;
        }
        Map<String, TrackedStream> before = streams;
        Map<String, TrackedStream> now = new LinkedHashMap<>();
        for (String s : wanted) {
            TrackedStream t = before.get(s);
            if (t == null) {
                try {
                    t = resolve(s);
                    unresolved.remove(s);
                } catch (RuntimeException e) {
                    if (unresolved.add(s)) {
                        log.warn("Stream {} listed by the stream tracker cannot be read yet; not reading it, trying "
                                + "again at each discovery: {}", s, Failures.describe(e));
                    }
                    continue;
                }
            }
            now.put(s, t);
        }
        unresolved.retainAll(wanted);
        set(now);
        for (TrackedStream t : now.values()) {
            if (!before.containsValue(t)) {
                log.info("Now reading {}", t);
                listeners.forEach(l -> l.added(t));
            }
        }
        for (TrackedStream t : before.values()) {
            if (!now.containsValue(t)) {
                log.info("No longer reading {} (the stream tracker does not list it): its leases are let go, its "
                        + "rows stay in the lease table with their checkpoints", t);
                listeners.forEach(l -> l.removed(t));
            }
        }
    }

    /**
     * A stream found gone while running (ListShards: ResourceNotFoundException): reported at WARN and treated as
     * removed until the tracker's listing resolves again (a stream created again under its name is a new stream).
     */
    public synchronized void disappeared(TrackedStream stream) {
        Map<String, TrackedStream> now = new LinkedHashMap<>(streams);
        if (!now.values().removeIf(stream::equals)) {
            return;
        }
        log.warn("{} does not exist any more (deleted?): no longer reading it; its lease rows stay. If a stream of "
                + "that name is created again, it is read as a new stream from the initialPosition", stream);
        // discovery tries it again each time (a stream created again is read): this WARN already said why it fails
        unresolved.add(spellingOf(stream));
        set(now);
        listeners.forEach(l -> l.removed(stream));
    }

    /**
     * A read of a lease of stream {@code streamName} answered ResourceNotFound or ResourceInUse (multi-stream mode):
     * one DescribeStreamSummary of the stream, whatever the number of its shards that saw it (a check already under
     * way for the stream is not repeated). Gone or being deleted: {@link #disappeared}; created again:
     * {@link #recreated}; both let go of
     * the stream's leases as a removed stream's, with one WARN. Still the same stream: nothing (the shard's reader
     * goes on with its own shard-gone handling). Only the leader's shard sync would notice otherwise, and the
     * others' readers would retry with errors until they lose those leases. Blocks for the call: run it on a lease
     * thread.
     */
    public void checkGone(String streamName) {
        if (tracker == null) {
            return;
        }
        TrackedStream t = current().stream().filter(s -> s.name().equals(streamName)).findFirst().orElse(null);
        if (t == null || !checking.add(t)) {
            return;
        }
        try {
            String spelled = spellingOf(t);
            StreamDescriptionSummary summary;
            try {
                summary = describe(StreamNames.parse(spelled));
            } catch (RuntimeException e) {
                if (notFound(e)) {
                    disappeared(t);
                } else {
                    log.debug("Checking whether {} still exists failed: {}", t, Failures.describe(e));
                }
                return;
            }
            if (summary.streamStatus() == StreamStatus.DELETING) {
                disappeared(t); // being deleted: reads already fail (ResourceInUse), and it will not come back
                return;
            }
            recreated(t, tracked(spelled, summary));
        } finally {
            checking.remove(t);
        }
    }

    private static boolean notFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (Failures.sdkCause(t) instanceof ResourceNotFoundException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Describes the streams {@code which} selects (every worker, every fullScanInterval: the leader all, the others
     * those they hold leases of), and one created again under its name since it was resolved (another creation time)
     * is replaced by the new one: reported at WARN, its leases let go (the old key prefix is a former stream's from
     * now on), the new one's created from the initialPosition. A failure is left for the next time.
     */
    public void checkRecreated(java.util.function.Predicate<TrackedStream> which) {
        if (tracker == null) {
            return;
        }
        for (TrackedStream t : current()) {
            if (!which.test(t)) {
                continue;
            }
            try {
                recreated(t, resolve(spellingOf(t)));
            } catch (RuntimeException e) {
                log.debug("Checking whether {} was created again failed: {}", t, Failures.describe(e));
            }
        }
    }

    /**
     * A worker was given lease {@code leaseKey} of a stream it does not read: when its key is a newer creation of a
     * stream it reads (the leader saw the stream created again first), this worker checks and follows.
     */
    public void learn(String leaseKey) {
        StreamKey key = StreamKey.ofLeaseKey(leaseKey);
        if (tracker == null || key == null) {
            return;
        }
        for (TrackedStream t : current()) {
            if (t.key().sameNameAs(key) && key.creationEpoch() > t.key().creationEpoch()) {
                try {
                    recreated(t, resolve(spellingOf(t)));
                } catch (RuntimeException e) {
                    log.warn("Could not check whether {} was created again: {}", t, Failures.describe(e));
                }
            }
        }
    }

    private synchronized void recreated(TrackedStream old, TrackedStream now) {
        if (now.key().equals(old.key()) || !streams.containsValue(old)) {
            return;
        }
        log.warn("{} was deleted and created again ({}): its lease rows with key prefix {}: are a former stream's "
                + "from now on, never resumed (delete them when you no longer need them); the new stream is read from"
                + " the initialPosition", old, now.key(), old.key());
        Map<String, TrackedStream> next = new LinkedHashMap<>();
        streams.forEach((spelled, t) -> next.put(spelled, t.equals(old) ? now : t));
        set(next);
        listeners.forEach(l -> l.removed(old));
        listeners.forEach(l -> l.added(now));
    }

    private String spellingOf(TrackedStream t) {
        return streams.entrySet().stream().filter(e -> e.getValue().equals(t)).map(Map.Entry::getKey).findFirst()
                .orElse(t.name());
    }

    /** The streams read now. */
    public List<TrackedStream> current() {
        return List.copyOf(streams.values());
    }

    /** The stream of {@code leaseKey} if it is read now (single-stream mode: the one stream), else null. */
    public TrackedStream ofLeaseKey(String leaseKey) {
        if (tracker == null) {
            Map<String, TrackedStream> s = streams;
            return s.isEmpty() ? null : s.values().iterator().next();
        }
        StreamKey key = StreamKey.ofLeaseKey(leaseKey);
        return key == null ? null : byKey.get(key);
    }

    /** How rows of stream {@code key} relate to the streams read now. */
    public Relation relationOf(StreamKey key) {
        Map<StreamKey, TrackedStream> now = byKey;
        if (now.containsKey(key)) {
            return Relation.TRACKED;
        }
        for (StreamKey k : now.keySet()) {
            // a newer creation than the one read is not former: this worker has not learnt of it yet (learn)
            if (k.sameNameAs(key) && key.creationEpoch() < k.creationEpoch()) {
                return Relation.FORMER;
            }
        }
        return Relation.UNTRACKED;
    }

    private void set(Map<String, TrackedStream> now) {
        Map<StreamKey, TrackedStream> keys = new LinkedHashMap<>();
        now.values().forEach(t -> {
            if (t.key() != null) {
                keys.put(t.key(), t);
            }
        });
        streams = Map.copyOf(now);
        byKey = Map.copyOf(keys);
    }

    /** The tracker's list, checked; null (reported) when it failed or is not usable. */
    private List<String> ask() {
        try {
            List<String> list = tracker.streams();
            if (list == null) {
                log.warn("The stream tracker answered null; keeping the streams as they were");
                return null;
            }
            List<String> copy = new ArrayList<>(list);
            Set<String> names = new HashSet<>();
            for (String s : copy) {
                if (!names.add(StreamNames.parse(s).name())) {
                    throw new IllegalArgumentException("it names stream " + s + " twice");
                }
            }
            return copy;
        } catch (RuntimeException e) {
            log.warn("The stream tracker failed; keeping the streams as they were: {}", Failures.describe(e));
            return null;
        }
    }

    /** DescribeStreamSummary of a name or ARN; an ARN must be the one Kinesis reports for that name. */
    private TrackedStream resolve(String spelled) {
        StreamNames.StreamRef ref = StreamNames.parse(spelled);
        StreamDescriptionSummary s;
        try {
            s = describe(ref);
        } catch (RuntimeException e) {
            if (tracker != null && Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                throw new KinesisConsumerException("stream " + spelled + " (listed by streams / the stream tracker) "
                        + "does not exist in the Kinesis client's account and region: check the list, and region / "
                        + "kinesisEndpoint (or those of the kinesisClient you pass)", e);
            }
            throw e;
        }
        if (s.streamStatus() == StreamStatus.DELETING) {
            // not read: its reads fail already, and a stream found being deleted while read was let go for that
            throw new KinesisConsumerException("stream " + spelled + " is being deleted");
        }
        return tracked(spelled, s);
    }

    private StreamDescriptionSummary describe(StreamNames.StreamRef ref) {
        return AwsCalls.call("kinesis:DescribeStreamSummary", "stream " + ref.name(),
                DescribeStreamSummaryRequest.builder().streamName(ref.name()).build(),
                kinesis::describeStreamSummary).join().streamDescriptionSummary();
    }

    /** The stream {@code spelled} names, from its summary; an ARN must be the one Kinesis reports for that name. */
    private TrackedStream tracked(String spelled, StreamDescriptionSummary s) {
        StreamNames.StreamRef ref = StreamNames.parse(spelled);
        if (ref.arn() != null && !ref.arn().equals(s.streamARN())) {
            throw new KinesisConsumerException("stream ARN " + ref.arn() + " names account " + ref.account()
                    + " and region " + ref.region() + ", but the Kinesis client reaches " + s.streamARN()
                    + ": the consumer reads streams of its client's account and region only; give the stream's name,"
                    + " or a client of that account and region");
        }
        StreamIdentity identity = new StreamIdentity(s.streamARN(), s.streamCreationTimestamp());
        return new TrackedStream(ref.name(), identity, tracker == null ? null : StreamKey.of(identity));
    }
}
