package io.purekinesis.benchmarks;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces one adding thread at a fixed rate: record i is due at start + i x interval. A late thread catches up
 * without pausing (so the offered rate holds on average). A thread that is early sleeps at least
 * {@link #MIN_PARK_NANOS}, then adds every record that fell due meanwhile back to back: at 5,000 records/s over two
 * threads (one record per 0.4 ms each) parking once per record cost the harness about as much CPU as the producer's
 * own add path (a futex wait and wake per record). Waits shorter than 0.1 ms are not parked (parking is coarser than
 * that). Shared by {@link ProducerBenchmark} and {@link ProducerRace}, so both libraries are paced alike; latency
 * is measured from each {@code add}, so the small bursts do not change it.
 */
final class Pacer {

    /** Shortest sleep of an early thread: at most about 1,000 wake-ups per second per adding thread. */
    static final long MIN_PARK_NANOS = 1_000_000;

    private final long intervalNanos;
    private final long start;

    /** {@code rate} user records/s over {@code threads} threads, each with its own pacer; 0 = no pacing. */
    Pacer(long rate, int threads) {
        this.intervalNanos = rate > 0 ? Math.max(1, 1_000_000_000L * threads / rate) : 0;
        this.start = System.nanoTime();
    }

    /** Waits until record {@code i} (0-based, of this thread) is due. */
    void awaitTurn(long i) {
        if (intervalNanos > 0) {
            long wait = start + i * intervalNanos - System.nanoTime();
            if (wait > 100_000) {
                LockSupport.parkNanos(Math.max(wait, MIN_PARK_NANOS));
            }
        }
    }
}
