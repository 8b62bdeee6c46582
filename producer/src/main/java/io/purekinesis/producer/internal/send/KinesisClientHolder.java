package io.purekinesis.producer.internal.send;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Ownership of the Kinesis client as a type: a supplied client is {@link #shared shared} and never closed by
 * us; a client we built is {@link #owned owned} and closed with the producer.
 */
public abstract sealed class KinesisClientHolder implements AutoCloseable {

    private final KinesisAsyncClient client;

    private KinesisClientHolder(KinesisAsyncClient client) {
        this.client = client;
    }

    public static KinesisClientHolder shared(KinesisAsyncClient client) {
        return new Shared(client);
    }

    public static KinesisClientHolder owned(KinesisAsyncClient client) {
        return new Owned(client);
    }

    public KinesisAsyncClient client() {
        return client;
    }

    @Override
    public abstract void close();

    private static final class Shared extends KinesisClientHolder {
        Shared(KinesisAsyncClient client) {
            super(client);
        }

        @Override
        public void close() {
            // The user's client: theirs to close.
        }
    }

    private static final class Owned extends KinesisClientHolder {
        Owned(KinesisAsyncClient client) {
            super(client);
        }

        @Override
        public void close() {
            client().close();
        }
    }
}
