package io.purekinesis.benchmarks;

import io.purekinesis.testkit.LocalDynamoDb;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * DynamoDB Local for the fleet simulation: in this JVM (as testkit starts it), or in a JVM of its own
 * ({@link LocalDynamoDbProcess}) at a higher scheduling priority, so that its heap, garbage collection and CPU are
 * not the simulated workers' (production's DynamoDB is remote).
 */
final class DynamoDbEndpoint implements AutoCloseable {

    private final LocalDynamoDb inProcess;
    private final Process process;
    private final URI endpoint;

    private DynamoDbEndpoint(LocalDynamoDb inProcess, Process process, URI endpoint) {
        this.inProcess = inProcess;
        this.process = process;
        this.endpoint = endpoint;
    }

    static DynamoDbEndpoint start(boolean ownProcess) throws IOException, InterruptedException {
        if (!ownProcess) {
            LocalDynamoDb ddb = LocalDynamoDb.start();
            return new DynamoDbEndpoint(ddb, null, ddb.endpoint());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Production's DynamoDB has capacity of its own; here it shares the cores with 100 simulated workers, whose
        // JVM would starve it (at 10,000 x 100 it got 16 % of a core). `nice -n -10` (root only; otherwise nice
        // says so and runs it at the normal priority) keeps it served first.
        Process p = new ProcessBuilder(List.of("nice", "-n", "-10", java, "-Xmx2g",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                LocalDynamoDbProcess.class.getName(), "--exit-on-stdin-eof"))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread hook = new Thread(p::destroyForcibly, "dynamodb-local-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(LocalDynamoDbProcess.READY)) {
                    drainInBackground(out);
                    return new DynamoDbEndpoint(null, p, URI.create(LocalDynamoDbProcess.endpointAndPid(line)[0]));
                }
            }
            throw new IllegalStateException("DynamoDB Local's process ended before it served");
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly().waitFor();
            throw e;
        }
    }

    /** Reads the child's later output, so a full pipe never blocks it. */
    private static void drainInBackground(BufferedReader out) {
        Thread t = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // DynamoDB Local logs at WARN: nothing to keep
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "dynamodb-local-stdout");
        t.setDaemon(true);
        t.start();
    }

    URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws InterruptedException {
        if (inProcess != null) {
            inProcess.close();
        } else {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public String toString() {
        return endpoint + (process == null ? " (in this JVM)" : " (own JVM, pid " + process.pid() + ")");
    }
}
