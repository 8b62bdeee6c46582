package io.purekinesis.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Talks to a {@link PutRecordsSink} over its {@code /stats} and {@code /control} endpoints, and optionally owns the
 * separate JVM it runs in (so the benchmark's own CPU figures cover only the producer).
 */
final class SinkControl implements AutoCloseable {

    private final URI endpoint;
    private final Process process;
    private final HttpClient http;
    private final JsonFactory json = new JsonFactory();

    private SinkControl(URI endpoint, Process process) {
        this.endpoint = endpoint;
        this.process = process;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        if ("https".equals(endpoint.getScheme())) {
            try {
                b.sslContext(SelfSignedTls.trustAllClientContext()); // the sink's certificate is self-signed
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        this.http = b.build();
    }

    /** A sink someone else runs (it may also be a real endpoint, for which stats are unavailable). */
    static SinkControl attach(URI endpoint) {
        return new SinkControl(endpoint, null);
    }

    /**
     * Starts {@link PutRecordsSink} in a new JVM with this JVM's class path, waits for its port, and stops it when
     * closed (or when this JVM dies: the child exits when its standard input closes).
     */
    static SinkControl startProcess(int shards, PutRecordsSink.CountMode countMode, List<String> jvmOptions)
            throws IOException, InterruptedException {
        return startProcess(shards, countMode, jvmOptions, false);
    }

    /** As {@link #startProcess(int, PutRecordsSink.CountMode, List)}; over HTTPS (self-signed) when {@code tls}. */
    static SinkControl startProcess(int shards, PutRecordsSink.CountMode countMode, List<String> jvmOptions,
            boolean tls) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PutRecordsSink.class.getName());
        command.addAll(List.of("--port", "0", "--shards", Integer.toString(shards), "--count",
                countMode.name().toLowerCase(Locale.ROOT), "--exit-on-stdin-eof", "true", "--tls",
                Boolean.toString(tls)));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        int port = -1;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("SINK_PORT=")) {
                port = Integer.parseInt(line.substring("SINK_PORT=".length()).trim());
                break;
            }
        }
        if (port < 0) {
            process.destroyForcibly();
            throw new IOException("the sink process exited before printing its port (exit "
                    + process.waitFor() + "); command: " + command);
        }
        // Keep echoing the sink's further output, prefixed.
        Thread pump = new Thread(() -> {
            try {
                String l;
                while ((l = out.readLine()) != null) {
                    System.out.println("[sink] " + l);
                }
            } catch (IOException ignored) {
                // sink gone
            }
        }, "sink-output");
        pump.setDaemon(true);
        pump.start();
        return new SinkControl(URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port), process);
    }

    URI endpoint() {
        return endpoint;
    }

    /** The sink's process id, or -1 when attached to a sink this JVM did not start. */
    long pid() {
        return process == null ? -1 : process.pid();
    }

    PutRecordsSink.Stats stats() throws IOException, InterruptedException {
        return PutRecordsSink.Stats.fromJson(json, call("GET", "/stats"));
    }

    void setPaused(boolean paused) throws IOException, InterruptedException {
        call("POST", "/control?paused=" + paused);
    }

    void setDelayMillis(long delay) throws IOException, InterruptedException {
        call("POST", "/control?delayMs=" + delay);
    }

    /** Throttling: a random fraction of entries fails, and/or Kinesis's per-shard write limits apply. */
    void setThrottling(double failFraction, boolean shardLimits) throws IOException, InterruptedException {
        call("POST", "/control?failFraction=" + failFraction + "&shardLimits=" + shardLimits);
    }

    private byte[] call(String method, String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(endpoint.resolve(pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException(method + " " + pathAndQuery + " -> HTTP " + response.statusCode());
        }
        return response.body();
    }

    /** Stops the sink process if this owns one: closes its standard input, then SIGTERM, then SIGKILL. */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already closed
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
