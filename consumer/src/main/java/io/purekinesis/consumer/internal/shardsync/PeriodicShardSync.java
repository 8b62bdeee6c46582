package io.purekinesis.consumer.internal.shardsync;

import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.FailureReporter;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link ShardSyncer#sync()} every shard-sync interval on the lease threads, from one interval after
 * {@link #start()} until {@link #stop()}; a failed sync is reported and tried again at the next interval.
 */
public final class PeriodicShardSync {

    private static final Logger log = LoggerFactory.getLogger(PeriodicShardSync.class);

    private final ShardSyncer syncer;
    private final ConsumerContext context;
    private final Duration interval;
    private final FailureReporter failures;
    private ScheduledFuture<?> task;

    public PeriodicShardSync(ShardSyncer syncer, ConsumerContext context) {
        this.syncer = syncer;
        this.context = context;
        this.interval = context.config().shardSyncInterval();
        this.failures = new FailureReporter(log, context.metrics(), context.time());
    }

    public synchronized void start() {
        long millis = interval.toMillis();
        task = context.leaseScheduler().scheduleWithFixedDelay(this::syncOnce, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** No sync starts after this; one running goes on to its end. */
    public synchronized void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    private void syncOnce() {
        try {
            syncer.sync();
            failures.recovered();
        } catch (RuntimeException e) {
            failures.report("Shard sync of worker " + context.workerId(), "retrying in " + interval, e);
        }
    }
}
