package io.purekinesis.benchmarks;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces one adding thread at a fixed rate: record i is due at start + i x interval. A late thread catches up
 * without pausing (so the offered rate holds on average), and waits shorter than 0.1 ms are not parked (parking is
 * coarser than that). Shared by {@link ProducerBenchmark} and {@link ProducerRace}, so both pace alike.
 */
final class Pacer {

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
                LockSupport.parkNanos(wait);
            }
        }
    }
}
