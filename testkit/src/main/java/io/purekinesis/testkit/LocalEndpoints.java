package io.purekinesis.testkit;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;

/**
 * A local Kinesis and a DynamoDB Local, started together: what a producer or consumer needs.
 *
 * <p>{@link #shared()} gives the JVM-wide pair most tests should use (started once, in about 1-3 s, and stopped at
 * JVM exit); {@link #start()} a private pair, for tests that stop, restart or configure the endpoints. Tests sharing
 * a pair should work on their own streams and tables, e.g. named with {@link Streams#uniqueStreamName(String)}.
 */
public final class LocalEndpoints implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalEndpoints.class);
    private static final Object SHARED_LOCK = new Object();
    private static LocalEndpoints shared; // guarded by SHARED_LOCK
    private static boolean sharedHookAdded; // guarded by SHARED_LOCK

    private final LocalKinesis kinesis;
    private final LocalDynamoDb dynamoDb;
    private final boolean isShared;
    private KinesisAsyncClient kinesisClient; // guarded by this
    private DynamoDbAsyncClient dynamoDbClient; // guarded by this
    private boolean closed; // guarded by this

    private LocalEndpoints(LocalKinesis kinesis, LocalDynamoDb dynamoDb, boolean isShared) {
        this.kinesis = kinesis;
        this.dynamoDb = dynamoDb;
        this.isShared = isShared;
    }

    /** Starts a private pair with default settings; close it when done. */
    public static LocalEndpoints start() {
        return builder().start();
    }

    /** Options for a private pair: free ports, no persistence, unless set. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The JVM-wide pair, started by the first caller (others wait) and stopped at JVM exit. Its {@link #close()} does
     * nothing, so one test cannot stop it under another.
     */
    public static LocalEndpoints shared() {
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                shared = builder().start(true);
                if (!sharedHookAdded) {
                    Runtime.getRuntime().addShutdownHook(new Thread(LocalEndpoints::closeShared,
                            "purekinesis-local-endpoints-shutdown"));
                    sharedHookAdded = true;
                }
            }
            return shared;
        }
    }

    /** Stops the shared pair, if started; a later {@link #shared()} starts a new one. */
    static void closeShared() {
        synchronized (SHARED_LOCK) {
            if (shared != null) {
                shared.release();
                shared = null;
            }
        }
    }

    /** The local Kinesis of this pair. */
    public LocalKinesis kinesis() {
        return kinesis;
    }

    /** The DynamoDB Local of this pair. */
    public LocalDynamoDb dynamoDb() {
        return dynamoDb;
    }

    /** A new async Kinesis client builder for this pair; see {@link LocalKinesis#asyncClientBuilder()}. */
    public KinesisAsyncClientBuilder kinesisClientBuilder() {
        return kinesis.asyncClientBuilder();
    }

    /** A new async DynamoDB client builder for this pair; see {@link LocalDynamoDb#asyncClientBuilder()}. */
    public DynamoDbAsyncClientBuilder dynamoDbClientBuilder() {
        return dynamoDb.asyncClientBuilder();
    }

    /** A client owned by this pair, built on first use and closed by {@link #close()}: do not close it yourself. */
    public synchronized KinesisAsyncClient kinesisAsyncClient() {
        requireOpen();
        if (kinesisClient == null) {
            kinesisClient = kinesisClientBuilder().build();
        }
        return kinesisClient;
    }

    /** A client owned by this pair, built on first use and closed by {@link #close()}: do not close it yourself. */
    public synchronized DynamoDbAsyncClient dynamoDbAsyncClient() {
        requireOpen();
        if (dynamoDbClient == null) {
            dynamoDbClient = dynamoDbClientBuilder().build();
        }
        return dynamoDbClient;
    }

    /** Closes the clients and stops both endpoints; does nothing on the {@link #shared()} pair. */
    @Override
    public void close() {
        if (isShared) {
            LOG.debug("Ignoring close() of the shared local endpoints; they stop at JVM exit");
            return;
        }
        release();
    }

    @Override
    public String toString() {
        return "LocalEndpoints[kinesis " + kinesis.endpoint() + ", dynamodb " + dynamoDb.endpoint() + "]";
    }

    private synchronized void release() {
        if (closed) {
            return;
        }
        closed = true;
        if (kinesisClient != null) {
            kinesisClient.close();
        }
        if (dynamoDbClient != null) {
            dynamoDbClient.close();
        }
        kinesis.close();
        dynamoDb.close();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /** Options for the two endpoints of a {@link LocalEndpoints}. */
    public static final class Builder {

        private final LocalKinesis.Builder kinesis = LocalKinesis.builder();
        private final LocalDynamoDb.Builder dynamoDb = LocalDynamoDb.builder();

        private Builder() {
        }

        /** Sets the local Kinesis's options; throws NullPointerException if {@code options} is null. */
        public Builder kinesis(Consumer<LocalKinesis.Builder> options) {
            Objects.requireNonNull(options, "options").accept(kinesis);
            return this;
        }

        /** Sets DynamoDB Local's options; throws NullPointerException if {@code options} is null. */
        public Builder dynamoDb(Consumer<LocalDynamoDb.Builder> options) {
            Objects.requireNonNull(options, "options").accept(dynamoDb);
            return this;
        }

        /** Starts both, DynamoDB Local on another thread while node starts; if either fails, neither is left up. */
        public LocalEndpoints start() {
            return start(false);
        }

        private LocalEndpoints start(boolean isShared) {
            long startNanos = System.nanoTime();
            Executor ownThread = task -> {
                Thread thread = new Thread(task, "purekinesis-dynamodb-local-start");
                thread.setDaemon(true);
                thread.start();
            };
            CompletableFuture<LocalDynamoDb> dynamoDbStart = CompletableFuture.supplyAsync(dynamoDb::start, ownThread);
            LocalKinesis startedKinesis;
            try {
                startedKinesis = kinesis.start();
            } catch (RuntimeException e) {
                dynamoDbStart.whenComplete((ddb, ignored) -> {
                    if (ddb != null) {
                        ddb.close();
                    }
                });
                throw e;
            }
            LocalDynamoDb startedDynamoDb;
            try {
                startedDynamoDb = Futures.join(dynamoDbStart);
            } catch (RuntimeException e) {
                startedKinesis.close();
                throw e;
            }
            LocalEndpoints endpoints = new LocalEndpoints(startedKinesis, startedDynamoDb, isShared);
            LOG.info("{} up in {} ms", endpoints, (System.nanoTime() - startNanos) / 1_000_000);
            return endpoints;
        }
    }
}
