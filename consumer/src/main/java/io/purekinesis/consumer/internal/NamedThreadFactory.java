package io.purekinesis.consumer.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads named {@code purekinesis-consumer-<worker>-<role>-<n>}. */
public final class NamedThreadFactory implements ThreadFactory {

    private final String prefix;
    private final AtomicInteger next = new AtomicInteger(1);

    public NamedThreadFactory(String workerId, String role) {
        this.prefix = "purekinesis-consumer-" + workerId + "-" + role + "-";
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, prefix + next.getAndIncrement());
        t.setDaemon(true);
        return t;
    }
}
