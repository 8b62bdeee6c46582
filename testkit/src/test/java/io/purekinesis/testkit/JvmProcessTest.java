package io.purekinesis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(180)
class JvmProcessTest {

    /** A child main: prints its arguments, READY, then a line every 20 ms until killed. */
    public static final class Ticker {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("args " + String.join(",", args));
            System.out.println("READY");
            for (int i = 0; ; i++) {
                System.out.println("tick " + i);
                Thread.sleep(20);
            }
        }
    }

    /** A child main that fails at once. */
    public static final class Failing {
        public static void main(String[] args) {
            System.out.println("about to fail");
            System.exit(3);
        }
    }

    /** A child main with a shutdown hook, which SIGTERM runs and SIGKILL does not. */
    public static final class WithShutdownHook {
        public static void main(String[] args) throws InterruptedException {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("HOOK RAN")));
            System.out.println("READY");
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** A child main that prints where it records its AWS calls. */
    public static final class PrintsRecorderDirectory {
        public static void main(String[] args) {
            System.out.println("recording to " + System.getProperty(AwsCallRecorder.DIR_PROPERTY));
        }
    }

    @Test
    void theChildRecordsItsAwsCallsWhereTheParentDoes(@TempDir Path dir) {
        String parent = System.getProperty(AwsCallRecorder.DIR_PROPERTY);
        assumeTrue(parent != null, "this JVM records no AWS calls (-D" + AwsCallRecorder.DIR_PROPERTY + ")");
        List<String> lines = new CopyOnWriteArrayList<>();
        try (JvmProcess child = JvmProcess.builder(PrintsRecorderDirectory.class).onLine(lines::add)
                .logFile(dir.resolve("child.log")).start()) {
            assertTrue(child.awaitExit(Duration.ofSeconds(120)));
        }
        assertEquals(List.of("recording to " + parent), lines);
    }

    @Test
    void startsOnTheTestClassPathWaitsForTheReadyLineAndKillsWithSigkill(@TempDir Path dir) {
        List<String> lines = new CopyOnWriteArrayList<>();
        Path log = dir.resolve("ticker.log");
        JvmProcess child = JvmProcess.builder(Ticker.class).args("a", "b c").readyLine("READY"::equals)
                .onLine(lines::add).logFile(log).start();
        try {
            assertTrue(child.isAlive());
            assertEquals(List.of("args a,b c", "READY"), List.copyOf(lines).subList(0, 2));
            child.kill();
            assertFalse(child.isAlive());
            // 128 + 9: killed by SIGKILL
            assertEquals(137, child.exitCode().orElseThrow());
            // Every line printed before the kill was read: the log holds exactly what the listener got.
            assertEquals(lines, Files.readAllLines(log));
            assertTrue(lines.size() >= 2, lines.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            child.close();
        }
    }

    @Test
    void sigkillSkipsShutdownHooksWhileStopRunsThem(@TempDir Path dir) {
        List<String> killed = new CopyOnWriteArrayList<>();
        try (JvmProcess child = JvmProcess.builder(WithShutdownHook.class).readyLine("READY"::equals)
                .onLine(killed::add).logFile(dir.resolve("killed.log")).start()) {
            child.kill();
        }
        assertFalse(killed.contains("HOOK RAN"));

        List<String> stopped = new CopyOnWriteArrayList<>();
        try (JvmProcess child = JvmProcess.builder(WithShutdownHook.class).readyLine("READY"::equals)
                .onLine(stopped::add).logFile(dir.resolve("stopped.log")).start()) {
            child.stop(Duration.ofSeconds(30));
            assertEquals(143, child.exitCode().orElseThrow()); // 128 + 15: SIGTERM
        }
        assertTrue(stopped.contains("HOOK RAN"), stopped.toString());
    }

    @Test
    void aChildThatExitsBeforeItsReadyLineFailsTheStartWithItsOutput(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JvmProcess.builder(Failing.class)
                .readyLine("READY"::equals).logFile(dir.resolve("failing.log")).start());
        assertTrue(e.getMessage().contains("exited with code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("about to fail"), e.getMessage());
    }
}
