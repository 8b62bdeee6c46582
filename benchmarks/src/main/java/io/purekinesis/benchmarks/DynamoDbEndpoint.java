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
                LocalDynamoDbProcess.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("DYNAMODB ")) {
                return new DynamoDbEndpoint(null, p, URI.create(line.trim().split("\\s+")[1]));
            }
        }
        p.destroyForcibly().waitFor();
        throw new IllegalStateException("DynamoDB Local's process ended before it served (exit " + p.exitValue() + ")");
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
