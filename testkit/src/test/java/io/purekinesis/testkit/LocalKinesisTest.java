package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

class LocalKinesisTest {

    /** Ticks (50 ms apart) that node prints with the watchdog loaded and stdin open. */
    private static final int TICKS_WHILE_OPEN = 10;

    @Test
    void freePortsTakenBeforeTheBindAreReplacedByOthers() throws Exception {
        try (ServerSocket thief = new ServerSocket(0)) {
            int taken = thief.getLocalPort();
            AtomicInteger picks = new AtomicInteger();
            try (LocalKinesis kinesis = LocalKinesis.builder()
                    .start(() -> picks.getAndIncrement() == 0 ? new int[] {taken, FreePorts.pick()}
                            : FreePorts.pick(2));
                 KinesisClient client = kinesis.syncClientBuilder().build()) {
                assertEquals(2, picks.get(), "new ports were picked");
                assertNotEquals(taken, kinesis.endpoint().getPort());
                assertTrue(client.listStreams().streamNames().isEmpty());
            }
        }
    }

    @Test
    void withPersistenceARestartKeepsStreamsRecordsAndPort(@TempDir Path dataDir) {
        try (LocalKinesis kinesis = LocalKinesis.builder().dataDir(dataDir).persistData(true).start();
             KinesisAsyncClient client = kinesis.asyncClientBuilder().build()) {
            String stream = Streams.uniqueStreamName("persisted");
            Streams.createStream(client, stream, 1);
            client.putRecord(b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromUtf8String("kept")))
                    .join();
            URI endpoint = kinesis.endpoint();

            // The client keeps its connections open: stop must not wait for the emulator's 30 s drain (it waits for
            // two saves, then kills). The bound sits between the two, far from what a busy machine adds to a save.
            long stopStart = System.nanoTime();
            kinesis.stop();
            assertFalse(kinesis.isRunning());
            assertTrue(System.nanoTime() - stopStart < Duration.ofSeconds(25).toNanos(), "stop took too long");
            kinesis.restart();

            assertTrue(kinesis.isRunning());
            assertEquals(endpoint, kinesis.endpoint());
            List<Streams.ShardRecord> records = Streams.readAll(client, stream);
            assertEquals(List.of("kept"), records.stream().map(r -> r.record().data().asUtf8String()).toList());
        }
    }

    @Test
    void withoutPersistenceARestartStartsEmpty() {
        try (LocalKinesis kinesis = LocalKinesis.start();
             KinesisClient client = kinesis.syncClientBuilder().build()) {
            client.createStream(b -> b.streamName("gone-after-restart").shardCount(1));

            kinesis.restart();

            assertThrows(ResourceNotFoundException.class,
                    () -> client.describeStreamSummary(b -> b.streamName("gone-after-restart")));
            assertTrue(kinesis.logFile().startsWith(Path.of(System.getProperty(LocalKinesis.LOG_DIR_PROPERTY))));
        }
    }

    @Test
    void anEmulatorThatDiesAtStartupFailsFastWithItsLog() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalKinesis.builder()
                .environment("KINESIS_MOCK_CERT_PATH", "/does/not/exist/server.json")
                .startupTimeout(Duration.ofSeconds(30))
                .start());
        assertTrue(e.getMessage().contains("exited with code"), e.getMessage());
        assertTrue(e.getMessage().contains("server.json"), e.getMessage());
    }

    @Test
    void badOptionsAreRefusedAtOnceNamingTheOption() {
        LocalKinesis.Builder builder = LocalKinesis.builder();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.logLevel("LOUD"))
                .getMessage().startsWith("logLevel"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.plainPort(70_000))
                .getMessage().startsWith("plainPort"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.operationDelay(Duration.ZERO))
                .getMessage().startsWith("operationDelay"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> builder.persistInterval(Duration.ofMillis(50)))
                .getMessage().startsWith("persistInterval"));
    }

    /**
     * While stdin is open, node keeps running with the watchdog loaded: shown by ticks it prints (a positive event,
     * not a wait in which nothing happens); once stdin is closed, it exits.
     */
    @Test
    @Timeout(120)
    void theWatchdogStopsNodeWhenTheJvmThatStartedItGoesAway(@TempDir Path dir) throws Exception {
        Path watchdog = dir.resolve("exit-with-parent.js");
        try (InputStream in = LocalKinesis.class.getResourceAsStream("exit-with-parent.js")) {
            Files.copy(in, watchdog);
        }
        Process node = new ProcessBuilder("node", "--require", watchdog.toString(), "-e",
                "let i = 0; setInterval(() => console.log('tick ' + i++), 50)")
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(),
                    StandardCharsets.UTF_8));
            for (int i = 0; i < TICKS_WHILE_OPEN; i++) {
                assertEquals("tick " + i, out.readLine(), "node must keep running while its stdin is open");
            }
            node.getOutputStream().close(); // what the OS does when the parent dies
            assertTrue(node.waitFor(60, TimeUnit.SECONDS), "node must exit once its stdin is closed");
        } finally {
            node.destroyForcibly();
        }
    }
}
