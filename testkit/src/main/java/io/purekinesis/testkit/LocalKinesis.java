package io.purekinesis.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClientBuilder;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;

/**
 * A local Kinesis: the npm emulator {@code kinesis-local} (kinesis-mock) run by {@code node} on free ports.
 *
 * <p>The emulator is installed on first use (see the builder's {@link Builder#installDir(Path)}), which needs Node.js
 * 18 or later with npm on the PATH. It keeps its ports, data directory and log file across {@link #restart()}, so
 * with {@link Builder#persistData(boolean)} streams and records survive a restart. Its process is stopped at JVM exit
 * and, through a watch on its stdin, also when this JVM is killed.
 *
 * <p>What the emulator lacks (no throttling, no per-record PutRecords failures, no request size limits) is listed in
 * the project's local-endpoints notes; test those paths with fakes.
 */
public final class LocalKinesis implements AutoCloseable {

    static final String LOG_DIR_PROPERTY = "purekinesis.kinesisLocal.logDir";
    private static final Logger LOG = LoggerFactory.getLogger(LocalKinesis.class);
    private static final String HOST = "127.0.0.1"; // the emulator listens on IPv4 only; "localhost" may be ::1
    private static final String WATCHDOG = "exit-with-parent.js";
    private static final Duration DEFAULT_OPERATION_DELAY = Duration.ofMillis(50);
    private static final Duration DEFAULT_PERSIST_INTERVAL = Duration.ofMillis(500);
    private static final Duration MIN_PERSIST_INTERVAL = Duration.ofMillis(200);
    /**
     * After SIGTERM the emulator waits up to 30 s for clients to close their connections. Without persistence (and at
     * JVM exit) that wait buys nothing, so it gets this long and is then killed.
     */
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);
    /** With persistence, a SIGTERM only saves after the connections drain; allow for the emulator's 30 s. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(35);
    private static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final String DEFAULT_LOG_LEVEL = "WARN";
    private static final Set<String> LOG_LEVELS = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

    private final KinesisLocalSettings settings;
    private final Path mainJs;
    private final int plainPort;
    private final int tlsPort;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private final Path logFile;
    private ChildProcess process; // guarded by this
    private boolean closed; // guarded by this

    /** @param free two ports picked free, used where the settings leave a port 0 */
    private LocalKinesis(KinesisLocalSettings settings, int[] free) {
        this.settings = settings;
        this.mainJs = resolveMainJs(settings);
        this.plainPort = settings.plainPort() != 0 ? settings.plainPort() : free[0];
        this.tlsPort = settings.tlsPort() != 0 ? settings.tlsPort() : free[1];
        this.ownsDataDir = settings.dataDir() == null;
        try {
            this.dataDir = ownsDataDir
                    ? Files.createTempDirectory("purekinesis-kinesis-local-")
                    : Files.createDirectories(settings.dataDir().toAbsolutePath());
            this.logFile = Files.createDirectories(logDir(settings, dataDir))
                    .resolve("kinesis-local-" + plainPort + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create the directories for the local Kinesis", e);
        }
    }

    /** Starts one with default settings. */
    public static LocalKinesis start() {
        return builder().start();
    }

    /** Options: free ports, no persistence, unless set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Plain HTTP endpoint, e.g. {@code http://127.0.0.1:41234}; it speaks HTTP/1.1 and h2c. */
    public URI endpoint() {
        return URI.create("http://" + HOST + ":" + plainPort);
    }

    /** HTTPS endpoint with the emulator's self-signed certificate; clients must trust all certificates. */
    public URI tlsEndpoint() {
        return URI.create("https://" + HOST + ":" + tlsPort);
    }

    /** Where the emulator's output goes; the output of every run since the start is appended. */
    public Path logFile() {
        return logFile;
    }

    /** The emulator's working directory; with persistence on, its data is kept below it. */
    public Path dataDir() {
        return dataDir;
    }

    /** Whether the emulator process runs now. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Stops the emulator; {@link #restart()} brings it back. Without persistence: SIGTERM, and SIGKILL after 2 s.
     * With persistence: waits for the emulator's next two periodic saves (at most about two persist intervals), so
     * everything acknowledged before this call is kept, then kills it.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        if (!settings.persistData() || !process.isAlive()) {
            process.stop();
        } else if (PersistedSnapshots.awaitSaveAfterNow(persistFile(), settings.persistInterval().multipliedBy(3)
                .plusSeconds(5))) {
            process.kill();
        } else {
            LOG.warn("Local Kinesis at {} did not save to {} in time; stopping it with SIGTERM, which saves once"
                    + " clients have closed their connections (up to 30 s)", endpoint(), persistFile());
            process.stop(DRAIN_GRACE);
        }
        process = null;
        LOG.info("Stopped local Kinesis at {}", endpoint());
    }

    /**
     * Stops the emulator if it runs and starts it again on the same ports and data directory. Without persistence
     * the new run starts empty; with it, it loads what the last run saved. Clients built earlier keep working.
     */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** Stops for good and deletes the temporary data directory unless the log file lives in it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        if (ownsDataDir && !logFile.startsWith(dataDir)) {
            deleteRecursively(dataDir);
        }
    }

    /**
     * A client builder for this emulator: endpoint, region us-east-1, dummy credentials and a Netty HTTP client
     * (owned and closed by the built client) with room for 256 concurrent requests.
     */
    public KinesisAsyncClientBuilder asyncClientBuilder() {
        Clients.preferJsonForKinesis();
        return Clients.pointAt(KinesisAsyncClient.builder(), endpoint()).httpClientBuilder(Clients.nettyBuilder());
    }

    /** Like {@link #asyncClientBuilder()}, for the synchronous client, with the Apache HTTP client. */
    public KinesisClientBuilder syncClientBuilder() {
        Clients.preferJsonForKinesis();
        return Clients.pointAt(KinesisClient.builder(), endpoint()).httpClientBuilder(ApacheHttpClient.builder());
    }

    @Override
    public String toString() {
        return "LocalKinesis[" + endpoint() + ", log " + logFile + "]";
    }

    private synchronized LocalKinesis launch() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        Clients.preferJsonForKinesis();
        long startNanos = System.nanoTime();
        Path watchdog = copyWatchdog();
        Map<String, String> env = settings.environment(plainPort, tlsPort, mainJs.getParent(), persistDir());
        List<String> command = List.of("node", "--require", watchdog.toString(), mainJs.toString());
        process = ChildProcess.start("kinesis-local", command, env, dataDir, logFile,
                endpoint().resolve("/healthcheck"), settings.startupTimeout(), STOP_GRACE);
        LOG.info("Local Kinesis up at {} in {} ms (log {})", endpoint(), (System.nanoTime() - startNanos) / 1_000_000,
                logFile);
        return this;
    }

    private boolean logSaysPortTaken() {
        try {
            return Files.isRegularFile(logFile) && FreePorts.isPortTaken(new IOException(Files.readString(logFile)));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    private Path persistDir() {
        return dataDir.resolve("persisted");
    }

    private Path persistFile() {
        return Path.of(settings.extraEnvironment().getOrDefault("PERSIST_PATH", persistDir().toString()))
                .resolve(settings.extraEnvironment().getOrDefault("PERSIST_FILE_NAME", "kinesis-data.json"));
    }

    private Path copyWatchdog() {
        Path target = dataDir.resolve(WATCHDOG);
        try (InputStream in = Objects.requireNonNull(LocalKinesis.class.getResourceAsStream(WATCHDOG), WATCHDOG)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + target, e);
        }
    }

    private static Path resolveMainJs(KinesisLocalSettings settings) {
        if (settings.mainJs() != null) {
            return settings.mainJs().toAbsolutePath();
        }
        if (settings.installDir() != null) {
            return new KinesisLocalInstaller(settings.installDir(), KinesisLocalInstaller.defaultNpmCommand())
                    .ensureInstalled().mainJs();
        }
        return KinesisLocalInstaller.resolveMainJs();
    }

    private static Path logDir(KinesisLocalSettings settings, Path dataDir) {
        if (settings.logDir() != null) {
            return settings.logDir().toAbsolutePath();
        }
        String property = System.getProperty(LOG_DIR_PROPERTY);
        return property == null || property.isBlank() ? dataDir : Path.of(property).toAbsolutePath();
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.debug("Could not delete {}", dir, e);
        }
    }

    /** Options for a {@link LocalKinesis}; every one has a default, and bad values are refused at once. */
    public static final class Builder {

        private Path mainJs;
        private Path installDir;
        private int plainPort;
        private int tlsPort;
        private Path dataDir;
        private Path logDir;
        private boolean persistData;
        private Duration persistInterval = DEFAULT_PERSIST_INTERVAL;
        private Duration operationDelay = DEFAULT_OPERATION_DELAY;
        private String logLevel = DEFAULT_LOG_LEVEL;
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private final Map<String, String> environment = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * An installed {@code node_modules/kinesis-local/main.js} to run, skipping the install. Default: system
         * property {@code purekinesis.kinesisLocal.main}, else installed into {@link #installDir(Path)}.
         */
        public Builder mainJs(Path mainJs) {
            this.mainJs = requireFile("mainJs", mainJs);
            return this;
        }

        /**
         * Where to install the emulator with {@code npm ci} if it is not there yet. Default: system property
         * {@code purekinesis.kinesisLocal.dir}, else environment variable {@code PUREKINESIS_KINESIS_LOCAL_DIR},
         * else {@code ~/.cache/purekinesis/kinesis-local-<version>}.
         */
        public Builder installDir(Path installDir) {
            this.installDir = Objects.requireNonNull(installDir, "installDir");
            return this;
        }

        /** Plain HTTP port. Default 0: a free port, chosen once and kept across restarts. */
        public Builder plainPort(int plainPort) {
            this.plainPort = requirePort("plainPort", plainPort);
            return this;
        }

        /** HTTPS port, always opened by the emulator. Default 0: a free port, kept across restarts. */
        public Builder tlsPort(int tlsPort) {
            this.tlsPort = requirePort("tlsPort", tlsPort);
            return this;
        }

        /** Working directory, holding persisted data. Default: a new temporary directory. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /**
         * Directory of the log file {@code kinesis-local-<plainPort>.log}. Default: system property
         * {@code purekinesis.kinesisLocal.logDir}, else the data directory.
         */
        public Builder logDir(Path logDir) {
            this.logDir = Objects.requireNonNull(logDir, "logDir");
            return this;
        }

        /**
         * Whether streams and records are saved below the data directory every {@link #persistInterval(Duration)}
         * and loaded at start, so they survive {@link #stop()} and {@link #restart()}. Default false.
         */
        public Builder persistData(boolean persistData) {
            this.persistData = persistData;
            return this;
        }

        /**
         * How often the emulator saves its whole state while running; {@link #stop()} takes up to about twice this.
         * At least 200 ms. Default 500 ms.
         */
        public Builder persistInterval(Duration persistInterval) {
            if (Objects.requireNonNull(persistInterval, "persistInterval").compareTo(MIN_PERSIST_INTERVAL) < 0) {
                throw new IllegalArgumentException("persistInterval must be at least " + MIN_PERSIST_INTERVAL.toMillis()
                        + " ms, was " + persistInterval.toMillis() + " ms");
            }
            this.persistInterval = persistInterval;
            return this;
        }

        /**
         * How long a stream or consumer stays CREATING, UPDATING or DELETING (all the emulator's
         * {@code *_DURATION} settings). Default 50 ms; the emulator's own default is 500 ms.
         */
        public Builder operationDelay(Duration operationDelay) {
            this.operationDelay = requirePositive("operationDelay", operationDelay);
            return this;
        }

        /** The emulator's log level: ERROR, WARN, INFO, DEBUG or TRACE (logs bodies). Default WARN. */
        public Builder logLevel(String logLevel) {
            String level = Objects.requireNonNull(logLevel, "logLevel").toUpperCase(Locale.ROOT);
            if (!LOG_LEVELS.contains(level)) {
                throw new IllegalArgumentException("logLevel must be one of " + LOG_LEVELS + ", was " + logLevel);
            }
            this.logLevel = level;
            return this;
        }

        /** How long to wait for the emulator to answer its health check. Default 60 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = requirePositive("startupTimeout", startupTimeout);
            return this;
        }

        /**
         * An extra environment variable for the emulator, e.g. {@code INITIALIZE_STREAMS=orders:2} or
         * {@code SHARD_LIMIT=100}; it overrides what the other options set.
         */
        public Builder environment(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Installs the emulator if needed and starts it; returns once it answers its health check. */
        public LocalKinesis start() {
            return start(() -> FreePorts.pick(2));
        }

        /**
         * A port picked free can be taken by another process before the emulator binds it (a parallel build, a busy
         * CI machine): when the emulator says so, new ports are picked, unless the user chose the ports.
         */
        LocalKinesis start(Supplier<int[]> freePorts) {
            KinesisLocalSettings settings = new KinesisLocalSettings(mainJs, installDir, plainPort, tlsPort,
                    dataDir, logDir, persistData, persistInterval, operationDelay, logLevel, startupTimeout,
                    environment);
            for (int attempt = 1; ; attempt++) {
                LocalKinesis kinesis = new LocalKinesis(settings, freePorts.get());
                try {
                    return kinesis.launch();
                } catch (RuntimeException e) {
                    boolean portTaken = kinesis.logSaysPortTaken();
                    kinesis.close();
                    if (!portTaken || attempt >= FreePorts.BIND_ATTEMPTS || plainPort != 0 || tlsPort != 0) {
                        throw e;
                    }
                    LOG.info("A port of {} was taken before the emulator could bind it; trying others", kinesis);
                }
            }
        }

        private static Path requireFile(String field, Path file) {
            if (!Files.isRegularFile(Objects.requireNonNull(file, field))) {
                throw new IllegalArgumentException(field + " must be an existing file, was " + file);
            }
            return file;
        }

        private static int requirePort(String field, int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(field + " must be 0 (free port) to 65535, was " + port);
            }
            return port;
        }

        private static Duration requirePositive(String field, Duration duration) {
            if (Objects.requireNonNull(duration, field).isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(field + " must be positive, was " + duration);
            }
            return duration;
        }
    }
}
