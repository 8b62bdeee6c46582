package io.purekinesis.consumer.internal.fetch;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batches a shard's fetcher read ahead of its processor, bounded in batches and in estimated heap bytes. A
 * fetcher that finds it full parks ({@link #parkIfFull()}) and is resumed by the {@link #poll} that makes room, so
 * a parked fetcher costs no task and no thread. Filled by the fetcher's task chain, emptied by the processor thread.
 */
final class PrefetchQueue {

    private final BlockingQueue<RecordBatch> queue;
    private final long maxBytes;
    private final Runnable resume;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean waitingForSpace = new AtomicBoolean();

    /** @param resume called (on the polling thread) when a poll made room for a parked fetcher */
    PrefetchQueue(int maxBatches, long maxBytes, Runnable resume) {
        this.queue = new ArrayBlockingQueue<>(maxBatches);
        this.maxBytes = maxBytes;
        this.resume = resume;
    }

    /**
     * True when the queue is at its bound: the caller stops, and {@link #poll} resumes it once there is room. False
     * when there is room, also when a poll made room while this was deciding.
     */
    boolean parkIfFull() {
        if (!full()) {
            return false;
        }
        waitingForSpace.set(true);
        // a poll between the check and the flag did not see the flag: check again, and take the flag back
        return full() || !waitingForSpace.compareAndSet(true, false);
    }

    private boolean full() {
        return queue.remainingCapacity() == 0 || bytes.get() >= maxBytes;
    }

    /** Queues a batch; only while not full (the fetcher checked {@link #parkIfFull()} before reading). */
    void add(RecordBatch batch) {
        bytes.addAndGet(batch.footprintBytes());
        queue.add(batch);
    }

    /** The next batch, waiting up to {@code timeout}; null if none arrived. */
    RecordBatch poll(Duration timeout) throws InterruptedException {
        RecordBatch b = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (b != null) {
            bytes.addAndGet(-b.footprintBytes());
            if (waitingForSpace.compareAndSet(true, false)) {
                resume.run();
            }
        }
        return b;
    }
}
