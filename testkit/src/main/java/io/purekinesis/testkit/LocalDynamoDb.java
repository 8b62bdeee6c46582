package io.purekinesis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local, in memory (or, with {@link Builder#dbPath(Path)}, in a file that survives a restart), served over
 * HTTP from this JVM on a free port.
 *
 * <p>It runs in-process, so it dies with the JVM; call {@link #stop()} or {@link #close()} all the same, since its
 * server threads are not daemons and would keep a JVM that ends normally alive.
 */
public final class LocalDynamoDb implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalDynamoDb.class);
    private static final String HOST = "127.0.0.1";

    private final int port;
    private final boolean sharedDb;
    private final Path dbPath; // null: in memory
    private DynamoDBProxyServer server; // guarded by this

    private LocalDynamoDb(int port, boolean sharedDb, Path dbPath) {
        this.port = port;
        this.sharedDb = sharedDb;
        this.dbPath = dbPath;
    }

    /** Starts one with default settings. */
    public static LocalDynamoDb start() {
        return builder().start();
    }

    /** Options: a free port and in-memory data, unless set. */
    public static Builder builder() {
        return new Builder();
    }

    /** e.g. {@code http://127.0.0.1:41235}. */
    public URI endpoint() {
        return URI.create("http://" + HOST + ":" + port);
    }

    /** Whether the server runs now (started and not stopped). */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * Stops the server; its port is freed and, without a {@code dbPath}, its data is gone. Does nothing when stopped.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.stop();
            LOG.info("Stopped DynamoDB Local at {}", endpoint());
        } catch (Exception e) {
            LOG.warn("DynamoDB Local at {} did not stop cleanly", endpoint(), e);
        } finally {
            server = null;
        }
    }

    /** The directory of the database file, if file-backed ({@link Builder#dbPath(Path)}). */
    public Optional<Path> dbPath() {
        return Optional.ofNullable(dbPath);
    }

    /**
     * Stops the server if it runs and starts a new one on the same port. In memory (the default) the new one starts
     * with no tables: a restart is a lease table wiped. File-backed ({@link Builder#dbPath(Path)}) it keeps every
     * table and item: a DynamoDB outage. Clients built earlier keep working once it is back.
     */
    public synchronized void restart() {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    /** A client builder for this server: endpoint, region us-east-1, dummy credentials, Netty (256 connections). */
    public DynamoDbAsyncClientBuilder asyncClientBuilder() {
        return Clients.pointAt(DynamoDbAsyncClient.builder(), endpoint()).httpClientBuilder(Clients.nettyBuilder());
    }

    /** Like {@link #asyncClientBuilder()}, for the synchronous client, with the Apache HTTP client. */
    public DynamoDbClientBuilder syncClientBuilder() {
        return Clients.pointAt(DynamoDbClient.builder(), endpoint()).httpClientBuilder(ApacheHttpClient.builder());
    }

    @Override
    public String toString() {
        return "LocalDynamoDb[" + endpoint() + (dbPath == null ? ", in memory]" : ", " + dbPath + "]");
    }

    private synchronized LocalDynamoDb launch() {
        long startNanos = System.nanoTime();
        List<String> args = new ArrayList<>(dbPath == null ? List.of("-inMemory")
                : List.of("-dbPath", dbPath.toString()));
        args.addAll(List.of("-port", Integer.toString(port), "-disableTelemetry"));
        if (sharedDb) {
            args.add("-sharedDb");
        }
        DynamoDBProxyServer starting = null;
        try {
            starting = ServerRunner.createServerFromCommandLineArgs(args.toArray(String[]::new));
            starting.start();
        } catch (Exception e) {
            stopQuietly(starting);
            throw new IllegalStateException("Could not start DynamoDB Local on port " + port + ": " + e.getMessage(),
                    e);
        }
        server = starting;
        LOG.info("DynamoDB Local up at {} in {} ms", endpoint(), (System.nanoTime() - startNanos) / 1_000_000);
        return this;
    }

    private static void stopQuietly(DynamoDBProxyServer server) {
        if (server == null) {
            return;
        }
        try {
            server.stop();
        } catch (Exception ignored) {
            // Already failing to start; the start error is the one to report.
        }
    }

    /** Options for a {@link LocalDynamoDb}. */
    public static final class Builder {

        private int port;
        private boolean sharedDb = true;
        private Path dbPath;

        private Builder() {
        }

        /** Port to listen on. Default 0: a free port, chosen once and kept across restarts. */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 (free port) to 65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Whether all clients see the same tables whatever their credentials and region ({@code -sharedDb}).
         * Default true, so a client configured elsewhere (KCL, a demo) finds the tables our clients made.
         */
        public Builder sharedDb(boolean sharedDb) {
            this.sharedDb = sharedDb;
            return this;
        }

        /**
         * Keeps the data in a database file in this directory ({@code -dbPath}; created if missing) instead of in
         * memory, so tables and items survive {@link #stop()} and {@link #restart()}, and a later start on the same
         * directory. Default: in memory ({@code -inMemory}). A file-backed DynamoDB Local is slower; use it for the
         * tests that restart it.
         */
        public Builder dbPath(Path dbPath) {
            this.dbPath = Objects.requireNonNull(dbPath, "dbPath").toAbsolutePath();
            return this;
        }

        /**
         * Starts DynamoDB Local in this JVM; throws UncheckedIOException if {@code dbPath} cannot be created,
         * IllegalStateException if the server does not start.
         */
        public LocalDynamoDb start() {
            if (dbPath != null) {
                try {
                    Files.createDirectories(dbPath);
                } catch (IOException e) {
                    throw new UncheckedIOException("Could not create the DynamoDB Local directory " + dbPath, e);
                }
            }
            if (port != 0) {
                return new LocalDynamoDb(port, sharedDb, dbPath).launch();
            }
            return startOnFreePort(FreePorts::pick);
        }

        /** A free port can be taken before DynamoDB Local binds it: then another one is tried. */
        LocalDynamoDb startOnFreePort(IntSupplier freePorts) {
            for (int attempt = 1; ; attempt++) {
                int candidate = freePorts.getAsInt();
                try {
                    return new LocalDynamoDb(candidate, sharedDb, dbPath).launch();
                } catch (IllegalStateException e) {
                    if (attempt >= FreePorts.BIND_ATTEMPTS || !FreePorts.isPortTaken(e)) {
                        throw e;
                    }
                    LOG.info("Port {} was taken before DynamoDB Local could bind it; trying another", candidate);
                }
            }
        }
    }
}
