package io.purekinesis.benchmarks;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces one adding thread at a fixed rate: record i is due at start + i x interval. A late thread catches up
 * without pausing (so the offered rate holds on average), and waits shorter than 0.1 ms are not parked (parking is
 * coarser than that). Shared by {@link ProducerBenchmark} and {@link ProducerRace}, so both libraries are paced
 * alike.
 *
 * <p>By default an early thread parks until its next record is due: one sleep and wake-up per record (at 5,000
 * records/s over two threads, one every 0.4 ms per thread). With a minimum sleep it sleeps at least that long and
 * then adds the records that fell due meanwhile back to back: the harness then costs less CPU, but arrivals come in
 * small bursts, which also lets a library that wakes a thread per record (KPL's pipe to its daemon) batch those
 * wake-ups. Latency is measured from each {@code add}, so the bursts do not change it.
 */
final class Pacer {

    private final long intervalNanos;
    private final long minSleepNanos;
    private final long start;

    /**
     * {@code rate} user records/s over {@code threads} threads, each with its own pacer; 0 = no pacing.
     * {@code minSleepNanos}: shortest sleep of an early thread (0: sleep exactly until the next record is due).
     */
    Pacer(long rate, int threads, long minSleepNanos) {
        this.intervalNanos = rate > 0 ? Math.max(1, 1_000_000_000L * threads / rate) : 0;
        this.minSleepNanos = minSleepNanos;
        this.start = System.nanoTime();
    }

    /** Waits until record {@code i} (0-based, of this thread) is due. */
    void awaitTurn(long i) {
        if (intervalNanos > 0) {
            long wait = start + i * intervalNanos - System.nanoTime();
            if (wait > 100_000) {
                LockSupport.parkNanos(Math.max(wait, minSleepNanos));
            }
        }
    }
}
