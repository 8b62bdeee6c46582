package io.purekinesis.testkit;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A class's {@code main} run in a child JVM, for tests that need a process to die for real: e.g. a consumer worker
 * killed with SIGKILL, which gets no chance to release its leases or checkpoint.
 * <pre>{@code
 * try (JvmProcess worker = JvmProcess.builder(MyWorkerMain.class)
 *         .args("--stream", stream)
 *         .readyLine(line -> line.equals("READY"))       // main prints it once it is up
 *         .onLine(line -> seen.add(line))                 // every line of output, on a reader thread
 *         .logFile(Path.of("target/worker-1.log"))
 *         .start()) {                                     // returns once the ready line was printed
 *     ...
 *     worker.kill();                                      // SIGKILL
 * }
 * }</pre>
 *
 * <p>The child runs the same {@code java} as this JVM with this JVM's class path ({@code java.class.path}, which
 * Surefire sets to the test class path), so any class a test can load can be the main class. It inherits
 * {@value AwsCallRecorder#DIR_PROPERTY}, so its AWS calls are recorded with this JVM's ({@link AwsCallRecorder}). Its standard output and
 * error are merged and every line is appended to the log file, then handed to the {@link Builder#onLine line
 * listener}. The child exits by itself when this JVM goes away, even by SIGKILL: it is started through a small
 * launcher that watches the parent process ({@link ProcessHandle#onExit()}) before calling the real {@code main}.
 * It is also killed at the normal exit of this JVM if still running.
 *
 * <p>{@link #kill()} sends SIGKILL on Linux and macOS ({@link ProcessHandle#destroyForcibly()}, what
 * {@link Process#destroyForcibly()} sends too): no shutdown hooks, no finally blocks, nothing flushed.
 * {@link #stop(Duration)} sends SIGTERM first ({@link ProcessHandle#destroy()}), so the child's shutdown hooks run.
 * (On Windows both are TerminateProcess.) The signals go through the {@link ProcessHandle}, not the {@link Process}:
 * {@code Process.destroy*()} also closes our end of the child's output pipe, which would drop lines the child printed
 * just before it died and that were not read yet.
 */
public final class JvmProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JvmProcess.class);
    private static final Duration KILL_WAIT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 40;

    private final String name;
    private final Process process;
    private final Path logFile;
    private final Thread shutdownHook;
    private volatile Thread reader;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final List<String> tail = new ArrayList<>(); // guarded by itself

    private JvmProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.shutdownHook = new Thread(() -> process.toHandle().destroyForcibly(), name + "-shutdown");
    }

    /** Starts building a child JVM that runs {@code mainClass}'s {@code public static void main(String[])}. */
    public static Builder builder(Class<?> mainClass) {
        return new Builder(Objects.requireNonNull(mainClass, "mainClass").getName());
    }

    /** The process id of the child JVM. */
    public long pid() {
        return process.pid();
    }

    /** Where the child's output goes (appended). */
    public Path logFile() {
        return logFile;
    }

    /** Whether the child process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code, once the process has ended. */
    public Optional<Integer> exitCode() {
        return process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /**
     * Kills the child with SIGKILL ({@link ProcessHandle#destroyForcibly()} on Linux/macOS) and waits until it is gone and
     * its output read to the end, so every line it printed has reached the line listener when this returns.
     */
    public void kill() {
        forgetShutdownHook();
        process.toHandle().destroyForcibly();
        if (!awaitExit(KILL_WAIT)) {
            LOG.warn("{} survived SIGKILL for {} s", this, KILL_WAIT.toSeconds());
        }
    }

    /** SIGTERM ({@link ProcessHandle#destroy()}), then {@link #kill()} if still running after {@code grace}. */
    public void stop(Duration grace) {
        forgetShutdownHook();
        process.toHandle().destroy();
        if (!awaitExit(grace)) {
            kill();
        }
    }

    /** {@link #kill()}s the child if it is still running. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        } else {
            forgetShutdownHook();
        }
    }

    /** Waits for the child to end by itself and its output to be read; false if it still runs after timeout. */
    public boolean awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return false;
            }
            reader.join(timeout.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + name + " to exit", e);
        }
    }

    @Override
    public String toString() {
        return "JvmProcess[" + name + ", pid " + process.pid() + ", log " + logFile + "]";
    }

    private void forgetShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException jvmIsExiting) {
            // The hook is running or about to: it kills the process.
        }
    }

    private void startReader(Predicate<String> readyLine, Consumer<String> onLine) {
        Thread thread = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
                 BufferedWriter log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                         StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                for (String line; (line = in.readLine()) != null; ) {
                    log.write(line);
                    log.newLine();
                    log.flush();
                    synchronized (tail) {
                        tail.add(line);
                        if (tail.size() > LOG_TAIL_LINES) {
                            tail.remove(0);
                        }
                    }
                    try {
                        onLine.accept(line);
                    } catch (RuntimeException e) {
                        LOG.warn("The line listener of {} failed on: {}", name, line, e);
                    }
                    if (ready.getCount() > 0 && readyLine.test(line)) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                LOG.debug("Output of {} ended: {}", name, e.toString());
            }
        }, name + "-output");
        thread.setDaemon(true);
        thread.start();
        reader = thread;
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!ready.await(50, TimeUnit.MILLISECONDS)) {
                if (!process.isAlive()) {
                    reader.join(5_000);
                    throw new IllegalStateException(name + " exited with code " + process.exitValue()
                            + " before printing its ready line. Last lines (" + logFile + "):\n" + tail());
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(name + " did not print its ready line within "
                            + timeout.toSeconds() + " s. Last lines (" + logFile + "):\n" + tail());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + name + " to be ready", e);
        }
    }

    private String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /**
     * The child's real main class: exits the child when its parent (the JVM that started it) ends, then runs the
     * target class's main. Without it, a child of a test JVM killed by SIGKILL would run on forever.
     */
    public static final class Launcher {

        private Launcher() {
        }

        /** {@code args[0]} is the main class; the rest are its arguments. */
        public static void main(String[] args) throws Throwable {
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
                System.err.println("JvmProcess: parent " + parent.pid() + " is gone; exiting");
                Runtime.getRuntime().halt(137);
            }));
            Method main = Class.forName(args[0]).getMethod("main", String[].class);
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            try {
                main.invoke(null, (Object) rest);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    /** Options of a child JVM; only the main class is required. */
    public static final class Builder {

        private final String mainClass;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1"));
        private String name;
        private Path logFile;
        private Predicate<String> readyLine;
        private Duration startupTimeout = Duration.ofSeconds(120);
        private Consumer<String> onLine = line -> { };

        private Builder(String mainClass) {
            this.mainClass = mainClass;
            this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        }

        /** Arguments for {@code main}. */
        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        /**
         * JVM options, replacing the defaults {@code -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} (small and
         * quick to start, for a shared test machine).
         */
        public Builder jvmOptions(String... options) {
            jvmOptions.clear();
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /** A name for logs and thread names. Default: the main class's simple name. */
        public Builder name(String name) {
            if (Objects.requireNonNull(name, "name").isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /** Where the output goes (appended). Default: a new file in the temporary directory. */
        public Builder logFile(Path logFile) {
            this.logFile = Objects.requireNonNull(logFile, "logFile");
            return this;
        }

        /**
         * The line that says the child is up: {@link #start()} returns once it was printed. Default: none, so
         * {@code start()} returns as soon as the process was created.
         */
        public Builder readyLine(Predicate<String> readyLine) {
            this.readyLine = Objects.requireNonNull(readyLine, "readyLine");
            return this;
        }

        /** How long {@link #start()} waits for the ready line. Default 120 s (a busy machine starts JVMs slowly). */
        public Builder startupTimeout(Duration startupTimeout) {
            if (Objects.requireNonNull(startupTimeout, "startupTimeout").isNegative() || startupTimeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, was " + startupTimeout);
            }
            this.startupTimeout = startupTimeout;
            return this;
        }

        /**
         * Called with every line of output, in order, on the process's reader thread (keep it quick); also for the
         * lines printed before the ready line. An exception it throws is logged and ignored.
         */
        public Builder onLine(Consumer<String> onLine) {
            this.onLine = Objects.requireNonNull(onLine, "onLine");
            return this;
        }

        /** Starts the child JVM and, if a ready line was set, waits for it; kills the child if it never comes. */
        public JvmProcess start() {
            Path log;
            try {
                log = logFile != null ? Files.createDirectories(logFile.toAbsolutePath().getParent())
                        .resolve(logFile.getFileName()) : Files.createTempFile("purekinesis-" + name + "-", ".log");
            } catch (IOException e) {
                throw new UncheckedIOException("Could not create the log file of " + name, e);
            }
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            String recordTo = System.getProperty(AwsCallRecorder.DIR_PROPERTY);
            if (recordTo != null) { // the child records its AWS calls where this JVM does
                command.add("-D" + AwsCallRecorder.DIR_PROPERTY + "=" + recordTo);
            }
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(Launcher.class.getName());
            command.add(mainClass);
            command.addAll(args);
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start " + name, e);
            }
            JvmProcess child = new JvmProcess(name, process, log);
            Runtime.getRuntime().addShutdownHook(child.shutdownHook);
            child.startReader(readyLine != null ? readyLine : line -> false, onLine);
            LOG.info("Started {} ({}), pid {}, log {}", name, mainClass, process.pid(), log);
            if (readyLine != null) {
                try {
                    child.awaitReady(startupTimeout);
                } catch (RuntimeException e) {
                    child.kill();
                    throw e;
                }
            }
            return child;
        }
    }
}
