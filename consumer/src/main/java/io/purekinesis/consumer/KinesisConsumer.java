package io.purekinesis.consumer;

import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.dispatch.Dispatcher;
import io.purekinesis.consumer.internal.fanout.FanOutSources;
import io.purekinesis.consumer.internal.fanout.StreamConsumerRegistration;
import io.purekinesis.consumer.internal.fanout.StreamConsumers;
import io.purekinesis.consumer.internal.fetch.RecordSource;
import io.purekinesis.consumer.internal.fetch.ShardFetcher;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.LeaseTableSetup;
import io.purekinesis.consumer.internal.lease.TrackedStreams;
import io.purekinesis.consumer.internal.lease.WorkerTable;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import io.purekinesis.consumer.internal.startup.StartupCheck;
import io.purekinesis.internal.aws.ClientHolder;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.ProtocolNegotiation;
import software.amazon.awssdk.http.nio.netty.Http2Configuration;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;

/**
 * The worker: leases shards of one stream (or of several: {@code ConsumerConfig.Builder.streams}) through a DynamoDB
 * lease table shared with its peers (KCL's schema), reads them, de-aggregates KPL records and hands them to one
 * {@link RecordProcessor} per leased shard.
 *
 * <p>Threads (all daemon, named {@code purekinesis-consumer-<workerId>-<role>-<n>}): {@code lease} (3: fleet
 * monitor, lease lookups, the leader's shard sync and table read, the slow-call check), {@code heartbeat} (1: the
 * heartbeat and self-fencing), {@code fetch} (2: GetRecords task chains of all shards), {@code processor} (one per
 * leased shard, running its processor's calls one at a time), and {@code shutdown} during shutdown.
 *
 * <pre>{@code
 * KinesisConsumer consumer = new KinesisConsumer(ConsumerConfig.builder()
 *         .applicationName("orders-app").streamName("orders").region(Region.EU_WEST_1).build(),
 *         MyProcessor::new);
 * consumer.start();
 * ...
 * consumer.shutdown().join(); // checkpoints via shutdownRequested, then hands the leases to live peers
 * }</pre>
 */
public final class KinesisConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KinesisConsumer.class);
    static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private enum State { NEW, RUNNING, SHUTTING_DOWN, STOPPED }

    private final ConsumerConfig config;
    private final ConsumerContext context;
    private final ClientHolder<KinesisAsyncClient> kinesis;
    private final ClientHolder<DynamoDbAsyncClient> dynamo;
    private final StartupCheck startupCheck;
    private final Dispatcher dispatcher;
    /** FAN_OUT mode: registers the stream consumer at start; null when polling. */
    private final StreamConsumerRegistration registration;
    /** FAN_OUT in multi-stream mode: the stream consumer on each stream; else null. */
    private final StreamConsumers streamConsumers;
    /** Multi-stream mode: the streams read now, asked of the tracker every streamDiscoveryInterval; else null. */
    private final TrackedStreams streams;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    /** Orders state changes against the dispatcher starting shard consumers, so none starts after shutdown began. */
    private final Object lifecycleLock = new Object();
    private final CompletableFuture<Void> shutdownFuture = new CompletableFuture<>();
    /** Why the consumer is stopped, for the message of a later start(); set with the STOPPED state. */
    private volatile String stoppedBecause;

    /** A consumer for {@code config}; nothing runs until {@link #start()}. */
    public KinesisConsumer(ConsumerConfig config, RecordProcessorFactory factory) {
        this(ConsumerContext.create(config), factory);
    }

    /** A consumer on {@code context}'s time and threads (tests: a manual time and scheduler). */
    KinesisConsumer(ConsumerContext context, RecordProcessorFactory factory) {
        this.config = context.config();
        this.context = context;
        this.kinesis = config.kinesisClient().map(ClientHolder::shared)
                .orElseGet(() -> ClientHolder.owned(buildKinesis(config)));
        this.dynamo = config.dynamoDbClient().map(ClientHolder::shared)
                .orElseGet(() -> ClientHolder.owned(buildDynamo(config)));
        LeaseTable table = new LeaseTable(dynamo.client(), config.leaseTableName());
        WorkerTable workers = new WorkerTable(dynamo.client(), config.workerTableName(), config.applicationName());
        this.streams = config.streamTracker().map(t -> TrackedStreams.multi(kinesis.client(), t)).orElse(null);
        ShardSyncer shardSyncer = streams == null
                ? new ShardSyncer(kinesis.client(), config.streamName(), table, config.initialPosition(),
                        config.completedLeaseCleanupDelay(), context.time())
                : new ShardSyncer(kinesis.client(), streams, table, config.initialPosition(),
                        config.completedLeaseCleanupDelay(), context.time());
        RecordSource.Factory sources;
        if (config.retrievalMode() == RetrievalMode.FAN_OUT && streams != null) {
            this.registration = null;
            this.streamConsumers = new StreamConsumers(context, kinesis.client());
            streams.addListener(streamConsumers);
            sources = new FanOutSources(context, kinesis.client(), streamConsumers, name -> checkStream(context, name));
        } else if (config.retrievalMode() == RetrievalMode.FAN_OUT) {
            this.registration = new StreamConsumerRegistration(config, kinesis.client(), context.time(),
                    context.random());
            this.streamConsumers = null;
            sources = new FanOutSources(context, kinesis.client(), registration);
        } else {
            this.registration = null;
            this.streamConsumers = null;
            sources = ShardFetcher.factory(context, kinesis.client(), streams == null ? null
                    : name -> checkStream(context, name));
        }
        this.dispatcher = new Dispatcher(context, factory, sources, table, workers, shardSyncer, streams);
        this.startupCheck = new StartupCheck(context, kinesis.client(), new LeaseTableSetup(dynamo.client(),
                config.leaseTableName(), config.workerTableName(), context.time()), table, shardSyncer, streams,
                scan -> dispatcher.coordinator().joinAndSync(scan));
    }

    /** A read of stream {@code name} answered ResourceNotFound: is the stream gone (on a lease thread)? */
    private void checkStream(ConsumerContext context, String name) {
        try {
            context.leaseScheduler().execute(() -> streams.checkGone(name));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the worker is stopping: its leases go anyway
        }
    }

    private static KinesisAsyncClient buildKinesis(ConsumerConfig config) {
        KinesisAsyncClientBuilder b = KinesisAsyncClient.builder();
        config.region().ifPresent(b::region);
        config.kinesisEndpoint().ifPresent(b::endpointOverride);
        config.credentialsProvider().ifPresent(b::credentialsProvider);
        if (config.retrievalMode() == RetrievalMode.FAN_OUT) {
            b.httpClientBuilder(http2(config));
        }
        return b.build();
    }

    /**
     * SubscribeToShard needs HTTP/2: one stream per leased shard (so no cap on concurrent streams), a 512 KiB window
     * (what Kinesis may push ahead of our demand), pings to find dead connections. TLS to an endpoint override
     * negotiates h2 by ALPN; AWS's endpoints take the SDK's default.
     */
    private static NettyNioAsyncHttpClient.Builder http2(ConsumerConfig config) {
        NettyNioAsyncHttpClient.Builder b = NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP2)
                .maxConcurrency(Integer.MAX_VALUE)
                .http2Configuration(Http2Configuration.builder().initialWindowSize(512 * 1024)
                        .healthCheckPingPeriod(Duration.ofSeconds(10)).build());
        if (config.kinesisEndpoint().map(u -> "https".equalsIgnoreCase(u.getScheme())).orElse(false)) {
            b.protocolNegotiation(ProtocolNegotiation.ALPN);
        }
        return b;
    }

    /**
     * Deregisters the enhanced fan-out stream consumer {@code config} names ({@link ConsumerConfig#fanOutConsumerArn},
     * else {@link ConsumerConfig#fanOutConsumerName} on its stream; in multi-stream mode on each stream the tracker
     * lists now), with its Kinesis client or one built from its
     * region, endpoint and credentials. The consumer never deregisters by itself: do it when no worker of the
     * application reads the stream any more (a registered consumer is charged per shard-hour). Workers still
     * subscribed lose their subscriptions. Needs {@code kinesis:DeregisterStreamConsumer}.
     *
     * @return true if a consumer was deregistered, false if none of that name or ARN was registered
     * @throws KinesisConsumerException if a call failed
     */
    public static boolean deregisterStreamConsumer(ConsumerConfig config) {
        ClientHolder<KinesisAsyncClient> client = config.kinesisClient().map(ClientHolder::shared)
                .orElseGet(() -> ClientHolder.owned(buildKinesis(config)));
        try {
            if (config.isMultiStream()) {
                boolean any = false;
                for (String stream : config.streamTracker().orElseThrow().streams()) {
                    any |= StreamConsumerRegistration.deregister(config,
                            io.purekinesis.internal.kinesis.StreamNames.parse(stream).name(), client.client());
                }
                return any;
            }
            return StreamConsumerRegistration.deregister(config, client.client());
        } catch (RuntimeException e) {
            throw new KinesisConsumerException("could not deregister the stream consumer of " + config.describeStreams()
                    + ": " + io.purekinesis.consumer.internal.Failures.describe(e), e);
        } finally {
            client.close();
        }
    }

    private static DynamoDbAsyncClient buildDynamo(ConsumerConfig config) {
        DynamoDbAsyncClientBuilder b = DynamoDbAsyncClient.builder();
        config.region().ifPresent(b::region);
        config.dynamoDbEndpoint().ifPresent(b::endpointOverride);
        config.credentialsProvider().ifPresent(b::credentialsProvider);
        return b.build();
    }

    /** The configuration this consumer was built with. */
    public ConsumerConfig config() {
        return config;
    }

    /**
     * Checks the stream (DescribeStreamSummary), creates the lease and worker tables if missing (and waits until
     * they are ACTIVE), checks the lease table's key schema and every lease row, joins the fleet (if it leads,
     * creates leases for shards without one), in {@link RetrievalMode#FAN_OUT} mode finds or registers the stream
     * consumer and waits until it is ACTIVE, then starts heartbeats, the fleet monitor and processing leases in the
     * background. Returns when that has started. Transient failures (throttling, 5xx, connection problems) are
     * retried for up to 60 s; anything else fails at once.
     *
     * @throws IllegalStateException if this consumer was started before (a consumer runs once: build a new one)
     * @throws LeaseTableException if the lease table has another key schema, or rows the consumer cannot use
     *                             (unreadable, or another stream's); the message names each row and its repair
     * @throws KinesisConsumerException if the stream or the lease table cannot be reached, naming the operation,
     *                                  the resource and, for credentials or permissions, what to change
     */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException(whyNotStartable());
        }
        log.info("Starting consumer {}", config);
        try {
            startupCheck.run();
            if (registration != null) {
                startupCheck.retrying(registration::ensure);
            }
            if (streamConsumers != null) {
                for (var stream : streams.current()) {
                    startupCheck.retrying(streamConsumers.registration(stream.name())::ensure);
                }
            }
        } catch (KinesisConsumerException e) {
            throw failedStart(e);
        }
        dispatcher.start();
        if (streams != null) {
            long every = config.streamDiscoveryInterval().toMillis();
            context.leaseScheduler().scheduleWithFixedDelay(this::discoverStreams, every, every,
                    TimeUnit.MILLISECONDS);
            // spread over the interval: DescribeStreamSummary allows 20 calls/s per account
            long check = config.fullScanInterval().toMillis();
            context.leaseScheduler().scheduleWithFixedDelay(this::checkRecreatedStreams,
                    check / 2 + context.random().nextInt((int) Math.min(Integer.MAX_VALUE, check / 2 + 1)), check,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Every fullScanInterval: the leader checks every stream it reads, the others those they hold leases of, for
     * one deleted and created again under its name; never lets the periodic task end.
     */
    private void checkRecreatedStreams() {
        try {
            boolean leads = dispatcher.coordinator().isLeader();
            Set<String> held = dispatcher.heldLeaseKeys();
            streams.checkRecreated(t -> leads || held.stream().anyMatch(t::owns));
        } catch (RuntimeException e) {
            log.warn("Consumer {}: checking the streams failed: {}", config.workerId(),
                    io.purekinesis.consumer.internal.Failures.describe(e));
        }
    }

    /** Asks the stream tracker; never lets the periodic task end. */
    private void discoverStreams() {
        try {
            streams.refresh();
        } catch (RuntimeException e) {
            log.warn("Consumer {}: stream discovery failed; trying again in {}: {}", config.workerId(),
                    config.streamDiscoveryInterval(), io.purekinesis.consumer.internal.Failures.describe(e));
        }
    }

    /** What start() says when the consumer is not NEW. */
    private String whyNotStartable() {
        String id = "consumer " + config.workerId();
        String once = ": a KinesisConsumer runs once; build a new one (with the same config) to start again";
        return switch (state.get()) {
            case RUNNING -> id + " is already running: start() was called before";
            case SHUTTING_DOWN -> id + " is shutting down" + once;
            case STOPPED -> id + " " + stoppedBecause + once;
            case NEW -> id + " is new"; // lost a race with a concurrent start()
        };
    }

    /** Stops what a failed start() began and returns {@code e} for throwing. */
    private KinesisConsumerException failedStart(KinesisConsumerException e) {
        synchronized (lifecycleLock) {
            state.set(State.STOPPED);
            stoppedBecause = "failed to start (" + e.getMessage() + ")";
        }
        context.stopThreads();
        closeClients();
        shutdownFuture.complete(null);
        return e;
    }

    /**
     * Shards whose records this worker is delivering now, by lease key (the shard id; in multi-stream mode
     * {@code account:stream:creationEpoch:shardId}).
     */
    public Set<String> activeShards() {
        return dispatcher.activeShards();
    }

    /** Whether this worker does the fleet leader's duties now (shard sync, full table read); for tests. */
    boolean leadsFleet() {
        return dispatcher.coordinator().isLeader();
    }

    /**
     * Leases this worker holds (including failed shards, finished ones and leases waiting for a handoff), by lease
     * key.
     */
    public Set<String> heldLeases() {
        return dispatcher.heldLeaseKeys();
    }

    /**
     * Shuts down gracefully: stops taking leases and fetching, lets running processRecords calls finish, calls
     * shutdownRequested on every processor (checkpoint there), then hands the leases to live peers so they go on at
     * once, and closes the clients the consumer built. Idempotent: a second call returns the same future. Before
     * {@link #start()} it only closes the clients the consumer built; the consumer cannot be started afterwards.
     *
     * <p>Do not wait for the returned future inside a processor callback: the shutdown waits for that callback to
     * return. Use {@link #close(Duration)}, which knows.
     *
     * @return completes when all of that is done
     */
    public CompletableFuture<Void> shutdown() {
        return shutdown("was shut down (shutdown() or close())");
    }

    private CompletableFuture<Void> shutdown(String reason) {
        boolean begin = false;
        boolean beforeStart = false;
        State was;
        synchronized (lifecycleLock) {
            was = state.get();
            if (was == State.NEW) {
                state.set(State.STOPPED);
                stoppedBecause = reason + " before it was started";
                beforeStart = true;
            } else if (was == State.RUNNING) {
                state.set(State.SHUTTING_DOWN);
                stoppedBecause = reason;
                dispatcher.releaseNewLeases();
                begin = true;
            }
        }
        if (beforeStart) {
            log.info("Consumer {} shut down before start(): nothing was running", config.workerId());
            context.stopThreads();
            closeClients();
            shutdownFuture.complete(null);
        } else if (begin) {
            context.newThread("shutdown", this::doShutdown).start();
        } else {
            log.info("Consumer {}: shutdown requested again; it {}", config.workerId(),
                    was == State.SHUTTING_DOWN ? "is already shutting down" : stoppedBecause);
        }
        return shutdownFuture;
    }

    /**
     * {@link #shutdown()} and waits up to {@code timeout}; after that, stops at once (the leases left move to
     * other workers once this one is declared dead, after the failover time).
     *
     * <p>Called on one of the consumer's own threads (from a processor, dead-letter or metrics callback), it cannot
     * wait, since the shutdown waits for that callback: it begins the shutdown, logs a warning and returns false at
     * once; the shutdown completes after the callback returns.
     *
     * @return true if the graceful shutdown completed in time
     */
    public boolean close(Duration timeout) {
        CompletableFuture<Void> done = shutdown("was closed");
        if (context.isCurrentThreadOurs() && !done.isDone()) {
            log.warn("Consumer {}: close() was called on the consumer's own thread {} (from a processor or other "
                    + "callback), which the shutdown has to wait for; the shutdown goes on in the background once "
                    + "the callback returns", config.workerId(), Thread.currentThread().getName());
            return false;
        }
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            log.warn("Graceful shutdown of {} did not finish within {} (a processor callback still running?); "
                    + "stopping now without releasing the leases still held", config.workerId(), timeout);
            halt();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            halt();
            return false;
        } catch (ExecutionException e) {
            log.warn("Shutdown of {} failed", config.workerId(), e.getCause());
            halt();
            return false;
        }
    }

    /** {@link #close(Duration)} with 30 s. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    private void doShutdown() {
        try {
            log.info("Worker {} shutting down: releasing {} leases", config.workerId(), dispatcher.heldLeaseKeys()
                    .size());
            dispatcher.shutDownGracefully();
            log.info("Worker {} shut down", config.workerId());
        } catch (RuntimeException e) {
            log.warn("Graceful shutdown of {} failed", config.workerId(), e);
        } finally {
            synchronized (lifecycleLock) {
                state.set(State.STOPPED);
                dispatcher.ignoreNewLeases();
            }
            context.stopThreads();
            closeClients();
            shutdownFuture.complete(null);
        }
    }

    /**
     * Stops everything at once without callbacks, checkpoints or handing leases over, as if the process had died:
     * peers take the leases once they declare this worker dead. For tests and for {@link #close(Duration)} after
     * its timeout.
     */
    void halt() {
        State previous;
        synchronized (lifecycleLock) {
            previous = state.getAndSet(State.STOPPED);
            dispatcher.ignoreNewLeases();
            if (previous == State.NEW) {
                stoppedBecause = "was halted before it was started";
            } else if (stoppedBecause == null) {
                stoppedBecause = "was halted";
            }
        }
        if (previous == State.STOPPED) {
            context.stopThreads();
            return;
        }
        log.warn("Worker {} halting without handing over its {} leases (they move when it is declared dead, after"
                + " {})", config.workerId(),
                dispatcher.heldLeaseKeys().size(), config.failoverTime());
        dispatcher.halt();
        context.stopThreads();
        closeClients();
        shutdownFuture.complete(null);
    }

    private void closeClients() {
        kinesis.close();
        dynamo.close();
    }
}
