package io.purekinesis.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a server process: started with its output in a log file, ready once its health URL answers 200, and
 * stopped at JVM exit even if nobody calls {@link #stop()} (a failed test, a forgotten close).
 */
final class ChildProcess {

    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final int PROBE_TIMEOUT_MILLIS = 1_000;
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_BYTES = 8 * 1024;

    private final String name;
    private final Process process;
    private final Path logFile;
    private final Duration stopGrace;
    private final Thread shutdownHook;

    private ChildProcess(String name, Process process, Path logFile, Duration stopGrace) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.stopGrace = stopGrace;
        this.shutdownHook = new Thread(() -> terminate(stopGrace), name + "-shutdown");
    }

    /**
     * Starts the command and returns once {@code healthUrl} answers 200; stops the process if it never does.
     * {@code stopGrace} is how long {@link #stop()} and the JVM exit wait after SIGTERM before killing.
     */
    static ChildProcess start(String name, List<String> command, Map<String, String> environment, Path workDir,
                              Path logFile, URI healthUrl, Duration timeout, Duration stopGrace) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                // Appending keeps the output of earlier runs when the same server is restarted.
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("Could not start " + name + " (" + command.get(0) + "): " + e.getMessage(),
                    e);
        }
        ChildProcess child = new ChildProcess(name, process, logFile, stopGrace);
        Runtime.getRuntime().addShutdownHook(child.shutdownHook);
        try {
            child.awaitHealthy(healthUrl, timeout);
        } catch (RuntimeException e) {
            child.stop();
            throw e;
        }
        return child;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, then SIGKILL if the process is still there after the stop grace. */
    void stop() {
        stop(stopGrace);
    }

    void stop(Duration grace) {
        forgetShutdownHook();
        terminate(grace);
    }

    /** SIGKILL at once: for when the process has nothing left to save. */
    void kill() {
        forgetShutdownHook();
        forceAndWait();
    }

    private void forgetShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException jvmIsExiting) {
            // The hook is running or about to: it stops the process.
        }
    }

    private void terminate(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.debug("{} (pid {}) still running {} ms after SIGTERM; killing it", name, process.pid(),
                        grace.toMillis());
                forceAndWait();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void forceAndWait() {
        try {
            if (!process.destroyForcibly().waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} (pid {}) survived SIGKILL for {} s", name, process.pid(), KILL_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitHealthy(URI healthUrl, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue()
                        + " before it became healthy. End of " + logFile + ":\n" + logTail());
            }
            if (answersOk(healthUrl)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(name + " did not answer " + healthUrl + " within "
                        + timeout.toSeconds() + " s. End of " + logFile + ":\n" + logTail());
            }
            sleep(POLL_INTERVAL);
        }
    }

    /**
     * A hand-written request with "Connection: close": a pooled keep-alive connection (as java.net.http keeps)
     * would make the emulator's graceful shutdown wait 30 s for it to close.
     */
    private static boolean answersOk(URI url) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), PROBE_TIMEOUT_MILLIS);
            socket.setSoTimeout(PROBE_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return statusLine != null && statusLine.matches("HTTP/1\\.[01] 200( .*)?");
        } catch (IOException notListeningYet) {
            return false;
        }
    }

    private String logTail() {
        try (SeekableByteChannel channel = Files.newByteChannel(logFile)) {
            long start = Math.max(0, channel.size() - LOG_TAIL_BYTES);
            ByteBuffer buffer = ByteBuffer.allocate((int) (channel.size() - start));
            channel.position(start);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // Reads until the buffer is full.
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read the log: " + e + ")";
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
