package io.purekinesis.internal.listener;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Calls into a user's listener (metrics, hooks) from a library loop: whatever the listener throws, Errors included,
 * is caught and reported, never passed on. A listener built against another library version throws
 * {@code NoClassDefFoundError}; a call on the producer's sender loop or a consumer loop must not strand what that
 * loop is doing. Each method's first failure is logged at WARN with its stack trace, later ones at DEBUG, so a
 * listener that always throws does not flood the log, and a second method that starts failing is still seen.
 * Thread-safe.
 */
public final class ListenerGuard {

    private final Logger log;
    private final String listener;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /**
     * @param log where failures are reported (the wrapping class's logger)
     * @param listener the listener's type as users know it, e.g. {@code ProducerMetrics}
     */
    public ListenerGuard(Logger log, String listener) {
        this.log = log;
        this.listener = listener;
    }

    /** Runs {@code call} (a call of the listener's {@code method}), reporting anything it throws. */
    public void run(String method, Runnable call) {
        try {
            call.run();
        } catch (Throwable e) { // Errors too: see the class comment
            failed(method, e);
        }
    }

    /**
     * Reports that the listener's {@code method} threw {@code e}: for callers on a hot path that catch themselves
     * rather than allocate a {@link Runnable} per call.
     */
    public void failed(String method, Throwable e) {
        if (warned.add(method)) {
            log.warn("{}.{} threw; ignored (further failures of {}.{} are logged at DEBUG)", listener, method,
                    listener, method, e);
        } else {
            log.debug("{}.{} threw; ignored", listener, method, e);
        }
    }
}
