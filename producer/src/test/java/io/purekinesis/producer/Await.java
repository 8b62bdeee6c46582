package io.purekinesis.producer;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Waits on positive events for the producer's tests, with deadlines generous enough for a busy machine. A test that
 * checks that something did not happen first waits here for proof that it had its chance (the sender loop passed
 * that point, the call's answer was handled, the thread is parked where expected), never for an amount of time.
 */
final class Await {

    /** Longest wait for anything that should take milliseconds: only a hang reaches it. */
    static final Duration DEADLINE = Duration.ofSeconds(30);

    private Await() {
    }

    /** Polls until {@code condition} holds; fails naming {@code what} after {@link #DEADLINE}. */
    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long giveUp = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * Waits until the sender loop has run {@code n} whole passes that began after this call. A pass sends
     * synchronously whatever it drains (the SDK call is made on the loop thread), and takes in a flush requested
     * before it began: after this returns, anything the sender would send now, it has sent.
     */
    static void senderPasses(KinesisProducer producer, int n) throws InterruptedException {
        // The pass counted now may have begun before this call: it is not one of the n.
        long target = producer.sender().passes() + n + 1;
        until(n + " sender passes", () -> producer.sender().passes() >= target);
    }

    /**
     * Waits until at most {@code inFlight} PutRecords calls are outstanding: every other call made so far was
     * answered and its answer fully handled (records decided, retries queued), since the sender counts a call until
     * its result handler returned.
     */
    static void callsHandled(KinesisProducer producer, int inFlight) throws InterruptedException {
        until("PutRecords answers handled, " + inFlight + " still in flight",
                () -> producer.sender().inFlightRequests() <= inFlight);
    }

    /** The sender thread of the producer named {@code producerName} (set in its config), or null if it ended. */
    static Thread senderThread(String producerName) {
        String name = "purekinesis-producer-" + producerName + "-sender";
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElse(null);
    }

    /** Waits until the sender thread of the producer named {@code producerName} ended. */
    static void senderEnded(String producerName) throws InterruptedException {
        Thread t = senderThread(producerName);
        if (t != null) {
            t.join(DEADLINE.toMillis());
            if (t.isAlive()) {
                throw new AssertionError("sender thread " + t.getName() + " still running after "
                        + DEADLINE.toSeconds() + " s: " + Arrays.toString(t.getStackTrace()));
            }
        }
    }

    /**
     * Waits until {@code thread} is parked (waiting, with or without a timeout) inside {@code className.method}:
     * it reached that wait, rather than merely having been started.
     */
    static void parkedIn(Thread thread, String className, String method) throws InterruptedException {
        until(thread.getName() + " waiting in " + className + "." + method, () -> {
            Thread.State state = thread.getState();
            if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
                return false;
            }
            for (StackTraceElement frame : thread.getStackTrace()) {
                if (frame.getClassName().equals(className) && frame.getMethodName().equals(method)) {
                    return true;
                }
            }
            return false;
        });
    }

    /** The future's value, waited for up to {@link #DEADLINE}. */
    static <T> T get(Future<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        return future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** {@link #DEADLINE} in {@code unit}, for latches and joins. */
    static long deadline(TimeUnit unit) {
        return unit.convert(DEADLINE);
    }
}
