package io.purekinesis.consumer.internal;

import software.amazon.awssdk.utils.SdkAutoCloseable;

/** A client and whether we built it: only clients the consumer built are closed by it. */
public final class ClientHolder<T extends SdkAutoCloseable> implements AutoCloseable {

    private final T client;
    private final boolean owned;

    private ClientHolder(T client, boolean owned) {
        this.client = client;
        this.owned = owned;
    }

    /** The user's client: never closed by us. */
    public static <T extends SdkAutoCloseable> ClientHolder<T> shared(T client) {
        return new ClientHolder<>(client, false);
    }

    /** A client we built: closed by {@link #close()}. */
    public static <T extends SdkAutoCloseable> ClientHolder<T> owned(T client) {
        return new ClientHolder<>(client, true);
    }

    public T client() {
        return client;
    }

    @Override
    public void close() {
        if (owned) {
            client.close();
        }
    }
}
