package io.purekinesis.testkit;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Waits on positive events in tests, with deadlines generous enough for a busy CI machine. A test that checks that
 * something did not happen should first wait here for proof that it had its chance (a marker record delivered, a
 * thread parked where expected, a counter reached), never for an amount of time: a sleep passes whenever the bug
 * shows up late.
 */
public final class Await {

    /** The default deadline: long enough that only a hang reaches it on a loaded machine. */
    public static final Duration DEADLINE = Duration.ofSeconds(30);

    private Await() {
    }

    /** Polls until {@code condition} holds; fails naming {@code what} after {@link #DEADLINE}. */
    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(what, DEADLINE, condition);
    }

    /** Polls until {@code condition} holds; fails naming {@code what} after {@code deadline}. */
    public static void until(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
        long giveUp = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError("timed out after " + deadline.toMillis() + " ms waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * Waits until {@code thread} is parked (waiting, with or without a timeout) inside {@code className.method}: it
     * reached that wait, rather than merely having been started.
     */
    public static void parkedIn(Thread thread, String className, String method) throws InterruptedException {
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
    public static <T> T get(Future<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        return future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** {@link #DEADLINE} in {@code unit}, for latches and joins. */
    public static long deadline(TimeUnit unit) {
        return unit.convert(DEADLINE);
    }
}
