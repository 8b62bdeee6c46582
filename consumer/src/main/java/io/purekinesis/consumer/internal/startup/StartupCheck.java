package io.purekinesis.consumer.internal.startup;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.LeaseScan;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.consumer.internal.lease.LeaseTableSetup;
import io.purekinesis.consumer.internal.lease.StreamIdentity;
import io.purekinesis.consumer.internal.lease.TrackedStreams;
import io.purekinesis.consumer.internal.lease.UnusableRows;
import io.purekinesis.consumer.internal.shardsync.ShardSyncer;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * What {@code KinesisConsumer.start()} checks and prepares before any lease is taken: the stream
 * (DescribeStreamSummary: its ARN and creation time, before any table is created, so a wrong stream name leaves no
 * empty table behind), the lease and worker tables (created if missing, waited for until ACTIVE, the lease table's
 * key schema checked), one scan of its rows (any the consumer cannot use refuse the start, nothing written), then
 * joining the fleet (its first heartbeat) and, if it leads, a first shard sync from that scan. Transient failures
 * are retried for {@link #RETRY_TIME}, waiting on the consumer's {@link Time}; anything else fails at once, with a
 * {@link KinesisConsumerException} that {@link StartFailures} words.
 */
public final class StartupCheck {

    private static final Logger log = LoggerFactory.getLogger(StartupCheck.class);
    /** How long the start waits for the lease table to become ACTIVE. */
    static final Duration TABLE_READY_TIMEOUT = Duration.ofMinutes(2);
    /** How long transient errors (throttling, 5xx, client errors, timeouts) are retried. */
    public static final Duration RETRY_TIME = Duration.ofSeconds(60);
    static final Duration BACKOFF_BASE = Duration.ofMillis(200);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(5);

    private final ConsumerConfig config;
    private final Time time;
    private final Backoff backoff;
    private final LeaseTableSetup tableSetup;
    private final LeaseTable table;
    private final ShardSyncer shardSyncer;
    /** Multi-stream mode: the streams to resolve; null in single-stream mode. */
    private final TrackedStreams streams;
    private final ToIntFunction<LeaseScan> joinFleet;
    private final StartFailures failures;

    /**
     * @param joinFleet joins the fleet with the scan of the lease table just made; if this worker leads, gives away
     *                  rows no live worker owns and creates missing leases; returns how many it created
     */
    public StartupCheck(ConsumerContext context, KinesisAsyncClient kinesis, LeaseTableSetup tableSetup,
            LeaseTable table, ShardSyncer shardSyncer, ToIntFunction<LeaseScan> joinFleet) {
        this(context, kinesis, tableSetup, table, shardSyncer, null, joinFleet);
    }

    /** @param streams multi-stream mode: resolved (each must exist) before the table is read; null: one stream */
    public StartupCheck(ConsumerContext context, KinesisAsyncClient kinesis, LeaseTableSetup tableSetup,
            LeaseTable table, ShardSyncer shardSyncer, TrackedStreams streams, ToIntFunction<LeaseScan> joinFleet) {
        this.streams = streams;
        this.config = context.config();
        this.time = context.time();
        this.backoff = Backoff.of(BACKOFF_BASE, BACKOFF_MAX, context.random());
        this.tableSetup = tableSetup;
        this.table = table;
        this.shardSyncer = shardSyncer;
        this.joinFleet = joinFleet;
        this.failures = new StartFailures(config, table.tableName(), kinesis);
    }

    /**
     * Runs the check, retrying transient failures.
     *
     * @throws KinesisConsumerException when it failed for good (a {@code LeaseTableException} for the table's rows
     *                                  or schema), or was interrupted
     */
    public void run() {
        retrying(this::once);
    }

    /** A step of the start, e.g. the fan-out registration: throws what failed; may wait on the consumer's Time. */
    @FunctionalInterface
    public interface Step {
        void run() throws InterruptedException;
    }

    /**
     * Runs {@code step} as the check itself runs, retrying transient failures for {@link #RETRY_TIME}.
     *
     * @throws KinesisConsumerException when it failed for good, or was interrupted
     */
    public void retrying(Step step) {
        long deadline = 0;
        int attempts = 0;
        try {
            while (true) {
                try {
                    step.run();
                    return;
                } catch (RuntimeException e) {
                    Throwable cause = Failures.unwrap(e);
                    long now = time.nanoTime();
                    if (++attempts == 1) {
                        deadline = now + RETRY_TIME.toNanos();
                    }
                    if (!Failures.isTransient(cause)) {
                        throw failures.of(cause, null);
                    }
                    if (now - deadline >= 0) {
                        throw failures.of(cause, "still failing after " + attempts + " attempts in "
                                + RETRY_TIME.toSeconds() + " s");
                    }
                    long delay = Math.min(backoff.delay(attempts).toNanos(), deadline - now);
                    log.warn("Consumer {} could not start yet (attempt {}); retrying in {} ms: {}", config.workerId(),
                            attempts, TimeUnit.NANOSECONDS.toMillis(delay), Failures.describe(cause));
                    time.sleep(Duration.ofNanos(delay));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KinesisConsumerException("consumer " + config.workerId() + " was interrupted while starting",
                    e);
        }
    }

    private void once() throws InterruptedException {
        // the stream before the table: a wrong stream name leaves no empty table behind. Reading the table's
        // description meanwhile creates nothing, and spares a fresh JVM a second cold first call.
        tableSetup.describeEarly();
        Object read;
        if (streams != null) {
            read = streams.start();
            tableSetup.ensure(TABLE_READY_TIMEOUT);
            table.bindStreams(streams);
        } else {
            StreamIdentity stream = shardSyncer.describeStream();
            String arn = config.streamArn().orElse(null);
            if (arn != null && !arn.equals(stream.streamArn())) {
                throw new KinesisConsumerException("streamName " + arn + " is an ARN of another account or region"
                        + " than the Kinesis client's, which reaches " + stream.streamArn() + ": give the stream's "
                        + "name, or a client of that account and region");
            }
            tableSetup.ensure(TABLE_READY_TIMEOUT);
            table.bindStream(stream);
            read = stream;
        }
        LeaseScan scan = table.scan().join();
        UnusableRows.refuseIfAny(table.tableName(), config.describeStreams(), scan);
        int created = joinFleet.applyAsInt(scan);
        log.info("Worker {}: lease table {} ready for {}, {} new leases", config.workerId(), table.tableName(),
                read, created);
    }
}
