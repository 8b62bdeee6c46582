package io.purekinesis.consumer.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads named {@code purekinesis-consumer-<worker>-<role>-<n>}, marked as belonging to an owner (the
 * consumer), so the consumer can tell when user code it called (a processor, a metrics or dead-letter callback)
 * calls back into it on one of its own threads.
 */
final class NamedThreadFactory implements ThreadFactory {

    private static final ThreadLocal<Object> OWNER = new ThreadLocal<>();

    private final String prefix;
    private final Object owner;
    private final AtomicInteger next = new AtomicInteger(1);

    /** @param owner what {@link #isCurrentThreadOf} recognises the threads by */
    NamedThreadFactory(String workerId, String role, Object owner) {
        this.prefix = "purekinesis-consumer-" + workerId + "-" + role + "-";
        this.owner = owner;
    }

    /** True when the calling thread was made by a factory with this owner. */
    static boolean isCurrentThreadOf(Object owner) {
        return owner != null && OWNER.get() == owner;
    }

    @Override
    public Thread newThread(Runnable r) {
        Runnable marked = () -> {
            OWNER.set(owner);
            r.run();
        };
        Thread t = new Thread(marked, prefix + next.getAndIncrement());
        t.setDaemon(true);
        return t;
    }
}
