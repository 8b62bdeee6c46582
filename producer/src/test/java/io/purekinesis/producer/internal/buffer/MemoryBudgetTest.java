package io.purekinesis.producer.internal.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.BufferFullException;
import io.purekinesis.producer.KinesisProducerException;
import io.purekinesis.producer.ProducerClosedException;
import io.purekinesis.testkit.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(90)
class MemoryBudgetTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** Longest wait for what should take milliseconds: only a hang reaches it, even on a busy machine. */
    private static final long DEADLINE_SECONDS = 30;

    @Test
    void reservesAndReleasesBytesAndRecords() {
        MemoryBudget budget = new MemoryBudget(1000, 10);
        budget.reserve(400, 0);
        budget.reserve(600, 0);
        assertEquals(1000, budget.outstandingBytes());
        assertEquals(2, budget.outstandingRecords());
        BufferFullException e = assertThrows(BufferFullException.class, () -> budget.reserve(1, 0));
        assertEquals(1, e.requestedBytes());
        assertEquals(1000, e.limitBytes());
        assertEquals(0, e.availableBytes());
        budget.release(400, 1);
        budget.reserve(1, 0);
        assertEquals(601, budget.outstandingBytes());
    }

    @Test
    void recordCountIsABudgetToo() {
        MemoryBudget budget = new MemoryBudget(1_000_000, 2);
        budget.reserve(1, 0);
        budget.reserve(1, 0);
        assertThrows(BufferFullException.class, () -> budget.reserve(1, 0));
    }

    @Test
    void waitersAreServedOldestFirst() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, 1000);
        budget.reserve(100, 0);
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> big = CompletableFuture.runAsync(() -> {
            budget.reserve(80, DEADLINE_SECONDS * SECOND);
            order.add("big");
        });
        awaitWaiting(budget, 1);
        CompletableFuture<Void> small = CompletableFuture.runAsync(() -> {
            budget.reserve(10, DEADLINE_SECONDS * SECOND);
            order.add("small");
        });
        awaitWaiting(budget, 2);
        budget.release(30, 1); // 30 free: enough for "small" but "big" waits first, so nobody goes
        assertTrue(order.isEmpty(), "a newer waiter must not overtake an older one: " + order);
        // The proof that nobody went does not depend on when "small" would have: "big" gets its 80 bytes below
        // only if "small" never took 10 of these 30 (nothing else is ever released to it).
        budget.release(50, 0); // 80 free: exactly what "big" needs
        big.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        awaitWaiting(budget, 1);
        assertEquals(List.of("big"), order, "a newer waiter must not overtake an older one");
        budget.release(10, 0);
        small.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        assertEquals(List.of("big", "small"), order);
    }

    /** Waits until exactly {@code n} threads wait for room (they reached the wait). */
    private static void awaitWaiting(MemoryBudget budget, int n) throws InterruptedException {
        Await.until(n + " threads waiting for room (now " + budget.waiting() + ")",
                Duration.ofSeconds(DEADLINE_SECONDS), () -> budget.waiting() == n);
    }

    @Test
    void waitTimesOutWithTheNumbers() {
        MemoryBudget budget = new MemoryBudget(100, 1000);
        budget.reserve(90, 0);
        long start = System.nanoTime();
        BufferFullException e = assertThrows(BufferFullException.class,
                () -> budget.reserve(20, TimeUnit.MILLISECONDS.toNanos(200)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(190));
        assertEquals(20, e.requestedBytes());
        assertEquals(10, e.availableBytes());
        assertTrue(e.getMessage().contains("maxOutstandingBytes"));
    }

    @Test
    void closeWakesWaiters() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, 1000);
        budget.reserve(100, 0);
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                budget.reserve(10, 2 * DEADLINE_SECONDS * SECOND);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        awaitWaiting(budget, 1); // close must wake a waiter, not refuse a late arrival
        budget.close();
        assertInstanceOf(ProducerClosedException.class, waiter.get(DEADLINE_SECONDS, TimeUnit.SECONDS));
        assertThrows(ProducerClosedException.class, () -> budget.reserve(1, 0));
    }

    @Test
    void awaitEmpty() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, 1000);
        budget.reserve(10, 0);
        assertEquals(false, budget.awaitEmpty(TimeUnit.MILLISECONDS.toNanos(50)));
        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(() -> budget.release(10, 1));
        assertTrue(budget.awaitEmpty(DEADLINE_SECONDS * SECOND));
    }

    @Test
    void roomComesBackBeforeFuturesCompleteButEmptyWaitsForThem() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, 1);
        budget.reserve(10, 0);
        budget.beginCompletion(10, 1);
        budget.reserve(10, 0); // a callback's add finds the room of the record it is called for
        budget.beginCompletion(10, 1);
        assertEquals(0, budget.outstandingRecords());
        assertEquals(false, budget.awaitEmpty(TimeUnit.MILLISECONDS.toNanos(50)), "two futures still completing");
        budget.endCompletion(1);
        budget.endCompletion(1);
        assertTrue(budget.awaitEmpty(0));
    }

    @Test
    void anInterruptedWaitSaysSoAndKeepsTheInterrupt() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, 1);
        budget.reserve(10, 0);
        CopyOnWriteArrayList<Object> seen = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try {
                budget.reserve(10, 2 * DEADLINE_SECONDS * SECOND);
            } catch (RuntimeException e) {
                seen.add(e);
                seen.add(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        awaitWaiting(budget, 1);
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(DEADLINE_SECONDS));
        assertInstanceOf(KinesisProducerException.class, seen.get(0));
        assertTrue(((Exception) seen.get(0)).getMessage().contains("interrupted"));
        assertEquals(false, seen.get(0) instanceof BufferFullException);
        assertEquals(true, seen.get(1));
    }
}
