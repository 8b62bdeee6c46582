package io.purekinesis.producer.internal.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.BufferFullException;
import io.purekinesis.producer.KinesisProducerException;
import io.purekinesis.producer.ProducerClosedException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MemoryBudgetTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

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
            budget.reserve(80, 5 * SECOND);
            order.add("big");
        });
        awaitWaiting(budget, 1);
        CompletableFuture<Void> small = CompletableFuture.runAsync(() -> {
            budget.reserve(10, 5 * SECOND);
            order.add("small");
        });
        awaitWaiting(budget, 2);
        budget.release(30, 1); // 30 free: enough for "small" but "big" waits first, so nobody goes
        Thread.sleep(100);
        assertTrue(order.isEmpty(), "a newer waiter must not overtake an older one: " + order);
        budget.release(50, 0); // 80 free: exactly what "big" needs
        big.get(5, TimeUnit.SECONDS);
        awaitWaiting(budget, 1);
        assertEquals(List.of("big"), order);
        budget.release(10, 0);
        small.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("big", "small"), order);
    }

    private static void awaitWaiting(MemoryBudget budget, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 5 * SECOND;
        while (budget.waiting() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, budget.waiting());
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
                budget.reserve(10, 10 * SECOND);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        Thread.sleep(100);
        budget.close();
        assertInstanceOf(ProducerClosedException.class, waiter.get(5, TimeUnit.SECONDS));
        assertThrows(ProducerClosedException.class, () -> budget.reserve(1, 0));
    }

    @Test
    void awaitEmpty() throws Exception {
        MemoryBudget budget = new MemoryBudget(100, 1000);
        budget.reserve(10, 0);
        assertEquals(false, budget.awaitEmpty(TimeUnit.MILLISECONDS.toNanos(50)));
        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(() -> budget.release(10, 1));
        assertTrue(budget.awaitEmpty(5 * SECOND));
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
                budget.reserve(10, 10 * SECOND);
            } catch (RuntimeException e) {
                seen.add(e);
                seen.add(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        while (budget.waiting() == 0) {
            Thread.sleep(5);
        }
        t.interrupt();
        t.join();
        assertInstanceOf(KinesisProducerException.class, seen.get(0));
        assertTrue(((Exception) seen.get(0)).getMessage().contains("interrupted"));
        assertEquals(false, seen.get(0) instanceof BufferFullException);
        assertEquals(true, seen.get(1));
    }
}
