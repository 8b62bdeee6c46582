package io.purekinesis.consumer.internal.checkpoint;

import io.purekinesis.consumer.CheckpointFailedException;
import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.ExtendedSequenceNumber;
import io.purekinesis.consumer.InvalidCheckpointException;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Positions;
import io.purekinesis.consumer.internal.Time;
import io.purekinesis.consumer.internal.lease.LeaseTable;
import io.purekinesis.internal.retry.Backoff;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Checkpointer} of one shard consumer. Knows the last record delivered to its processor and the last
 * checkpoint, refuses positions outside that window, and writes through {@link LeaseTable#checkpoint}. A failed
 * write condition means the lease is gone: {@link LeaseLostException}.
 */
public final class ShardCheckpointer implements Checkpointer {

    private static final Logger log = LoggerFactory.getLogger(ShardCheckpointer.class);
    static final int MAX_WRITE_ATTEMPTS = 3;
    /** The waits between write attempts: up to 100 ms after the first, 200 ms after the second (full jitter). */
    static final Duration RETRY_BACKOFF_BASE = Duration.ofMillis(100);
    static final Duration RETRY_BACKOFF_MAX = Duration.ofSeconds(1);

    private final String shardId;
    private final String workerId;
    private final LeaseTable table;
    private final ConsumerMetrics metrics;
    private final Time time;
    private final Backoff retryBackoff;
    private volatile ExtendedSequenceNumber lastCheckpoint;
    private volatile ExtendedSequenceNumber lastDelivered;
    private volatile boolean leaseLost;
    private volatile boolean shardEnded;
    private volatile Set<String> childShardIds = Set.of();

    /** @param random the jitter of the waits between write attempts ({@link #retryBackoff}) */
    public ShardCheckpointer(String shardId, String workerId, LeaseTable table, ExtendedSequenceNumber checkpoint,
            ConsumerMetrics metrics, Time time, RandomGenerator random) {
        this.shardId = shardId;
        this.workerId = workerId;
        this.table = table;
        this.lastCheckpoint = Objects.requireNonNull(checkpoint, "checkpoint");
        this.metrics = metrics;
        this.time = time;
        this.retryBackoff = Backoff.of(RETRY_BACKOFF_BASE, RETRY_BACKOFF_MAX, random);
    }

    /** The dispatcher delivered records up to and including this position. */
    public void delivered(ExtendedSequenceNumber position) {
        this.lastDelivered = position;
    }

    /** From now on every checkpoint fails with {@link LeaseLostException}. */
    public void markLeaseLost() {
        this.leaseLost = true;
    }

    public boolean isLeaseLost() {
        return leaseLost;
    }

    /** Every record was delivered and the shard is closed: {@link #checkpoint()} now writes SHARD_END. */
    public void markShardEnded(Set<String> childShardIds) {
        this.childShardIds = Set.copyOf(childShardIds);
        this.shardEnded = true;
    }

    @Override
    public ExtendedSequenceNumber lastCheckpoint() {
        return lastCheckpoint;
    }

    public ExtendedSequenceNumber lastDelivered() {
        return lastDelivered;
    }

    @Override
    public synchronized void checkpoint() {
        if (shardEnded) {
            write(ExtendedSequenceNumber.SHARD_END, childShardIds);
            return;
        }
        ExtendedSequenceNumber target = lastDelivered;
        if (target == null) {
            checkLease();
            return; // nothing delivered yet, nothing to record
        }
        checkpointAt(target);
    }

    @Override
    public void checkpoint(KinesisUserRecord record) {
        if (record == null) {
            throw new InvalidCheckpointException("checkpoint of shard " + shardId + ": record must not be null");
        }
        checkpoint(record.sequenceNumber(), record.subSequenceNumber());
    }

    @Override
    public synchronized void checkpoint(String sequenceNumber, long subSequenceNumber) {
        if (sequenceNumber == null) {
            throw new InvalidCheckpointException("checkpoint of shard " + shardId
                    + ": sequenceNumber must not be null");
        }
        ExtendedSequenceNumber target;
        try {
            target = ExtendedSequenceNumber.of(sequenceNumber, subSequenceNumber);
        } catch (IllegalArgumentException e) {
            throw new InvalidCheckpointException("invalid checkpoint for shard " + shardId + ": " + e.getMessage(),
                    e);
        }
        if (target.isSentinel()) {
            throw new InvalidCheckpointException("checkpoint of shard " + shardId + " must be a record's sequence "
                    + "number, was the sentinel " + target);
        }
        checkpointAt(target);
    }

    private void checkpointAt(ExtendedSequenceNumber target) {
        checkLease();
        ExtendedSequenceNumber delivered = lastDelivered;
        if (delivered == null || Positions.compare(target, delivered) > 0) {
            throw new InvalidCheckpointException("checkpoint " + target + " of shard " + shardId
                    + " is beyond the last delivered record " + (delivered == null ? "(none yet)" : delivered));
        }
        int c = Positions.compare(target, lastCheckpoint);
        if (c < 0) {
            throw new InvalidCheckpointException("checkpoint " + target + " of shard " + shardId
                    + " goes backwards: the last checkpoint is " + lastCheckpoint);
        }
        if (c == 0) {
            return;
        }
        write(target, Set.of());
    }

    private void checkLease() {
        if (leaseLost) {
            throw new LeaseLostException("worker " + workerId + " no longer holds the lease of shard " + shardId);
        }
    }

    private void write(ExtendedSequenceNumber target, Set<String> children) {
        long start = time.millis();
        RuntimeException last = null;
        for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
            // before every attempt: a lease lost (and perhaps retaken by this worker for a new processor) while
            // this one backed off must not get this older position written over the new owner's
            checkLease();
            boolean ok;
            try {
                ok = table.checkpoint(shardId, workerId, target, children).join();
            } catch (CompletionException e) {
                Throwable cause = Failures.unwrap(e);
                last = cause instanceof RuntimeException ? (RuntimeException) cause : e;
                if (!Failures.isTransient(cause)) {
                    // credentials, permissions, a deleted table: retrying now cannot help, the processor decides
                    throw new CheckpointFailedException("checkpoint of shard " + shardId + " at " + target
                            + " failed: " + Failures.describe(cause), cause);
                }
                log.warn("Checkpoint of shard {} at {} failed (attempt {} of {}): {}", shardId, target, attempt,
                        MAX_WRITE_ATTEMPTS, Failures.describe(cause));
                if (attempt < MAX_WRITE_ATTEMPTS) {
                    // many shards of one worker retrying against a throttled table spread out (jitter)
                    sleep(retryBackoff.delay(attempt));
                }
                continue;
            }
            if (!ok) {
                leaseLost = true;
                throw new LeaseLostException("checkpoint of shard " + shardId + " at " + target + " refused: worker "
                        + workerId + " no longer holds the lease");
            }
            lastCheckpoint = target;
            metrics.checkpointLatency(shardId, Duration.ofMillis(time.millis() - start));
            log.debug("Checkpointed shard {} at {}", shardId, target);
            return;
        }
        throw new CheckpointFailedException("checkpoint of shard " + shardId + " at " + target + " failed after "
                + MAX_WRITE_ATTEMPTS + " attempts: " + Failures.describe(last), last);
    }

    private void sleep(Duration delay) {
        try {
            time.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckpointFailedException("interrupted while retrying a checkpoint", e);
        }
    }
}
