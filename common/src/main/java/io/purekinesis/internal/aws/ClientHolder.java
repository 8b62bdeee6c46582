package io.purekinesis.internal.aws;

import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Ownership of an AWS client as a type: a client the user supplied is {@link #shared shared} and never closed by
 * us; a client the library built is {@link #owned owned} and closed with the library. (The SDK does the same with
 * its HTTP clients.)
 */
public abstract sealed class ClientHolder<T extends SdkAutoCloseable> implements AutoCloseable {

    private final T client;

    private ClientHolder(T client) {
        this.client = client;
    }

    /** The user's client: {@link #close()} leaves it open. */
    public static <T extends SdkAutoCloseable> ClientHolder<T> shared(T client) {
        return new Shared<>(client);
    }

    /** A client the library built: {@link #close()} closes it. */
    public static <T extends SdkAutoCloseable> ClientHolder<T> owned(T client) {
        return new Owned<>(client);
    }

    public T client() {
        return client;
    }

    /** Closes the client if the library built it. */
    @Override
    public abstract void close();

    private static final class Shared<T extends SdkAutoCloseable> extends ClientHolder<T> {
        Shared(T client) {
            super(client);
        }

        @Override
        public void close() {
            // The user's client: theirs to close.
        }
    }

    private static final class Owned<T extends SdkAutoCloseable> extends ClientHolder<T> {
        Owned(T client) {
            super(client);
        }

        @Override
        public void close() {
            client().close();
        }
    }
}
