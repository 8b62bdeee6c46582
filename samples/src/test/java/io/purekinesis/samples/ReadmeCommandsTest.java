package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.purekinesis.testkit.JvmProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's sample-app commands work: every {@code mvn -q -pl samples exec:java[@id] -Dexec.args="..."} names an
 * execution of this module's pom and flags its main class accepts, and the "Run the sample apps locally" commands,
 * run as written (main class and arguments, each in its own JVM; only the ports are made free ones), end as the
 * README says.
 */
class ReadmeCommandsTest {

    private static final Pattern EXEC = Pattern.compile(
            "mvn (?:-B )?-q -pl samples exec:java(?:@(\\w+))?(?: -Dexec\\.args=\"([^\"]*)\")?");
    private static final Duration APP_TIMEOUT = Duration.ofSeconds(240);

    /** A README command: the exec execution's id ("" for the default) and the arguments. */
    record Command(String execution, List<String> args) {
    }

    @Test
    void everyCommandNamesAnExecutionAndFlagsItsMainClassAccepts() throws IOException {
        List<Command> commands = commands(Files.readAllLines(readme(), StandardCharsets.UTF_8));
        Map<String, String> mainClasses = executions();
        assertTrue(commands.size() >= 6, "the README lost its sample-app commands: " + commands);
        for (Command c : commands) {
            String mainClass = mainClasses.get(c.execution());
            assertTrue(mainClass != null, "README: exec:java@" + c.execution() + " is no execution of samples/pom.xml"
                    + " " + mainClasses.keySet());
            String[] args = c.args().toArray(String[]::new);
            switch (mainClass.substring(mainClass.lastIndexOf('.') + 1)) {
                case "LocalEndpointsMain" -> LocalEndpointsMain.Options.parse(args);
                case "ProducerApp" -> ProducerApp.Options.parse(args);
                case "ConsumerApp" -> ConsumerApp.Options.parse(args);
                case "LocalDemo" -> LocalDemo.Options.parse(args);
                default -> fail("no check for " + mainClass + " (README command " + c + ")");
            }
        }
    }

    @Test
    @Timeout(600)
    void theLocalCommandsRunAsTheReadmeSays(@TempDir Path logs) throws IOException {
        List<String> block = localBlock(Files.readAllLines(readme(), StandardCharsets.UTF_8));
        assertEquals("mvn -B -q install -DskipTests", block.get(0), "the block starts by building the modules");
        List<Command> commands = commands(block);
        assertEquals(List.of("", "producer", "consumer"), commands.stream().map(Command::execution).toList());
        Map<String, String> mainClasses = executions();

        // The documented ports, replaced by free ones: other builds on this machine may hold 4567 or 8000.
        List<String> endpointArgs = commands.get(0).args();
        Map<String, String> ports = new LinkedHashMap<>();
        ports.put(valueOf(endpointArgs, "--kinesis-port"), Integer.toString(freePort()));
        ports.put(valueOf(endpointArgs, "--dynamodb-port"), Integer.toString(freePort()));

        List<String> endpointLines = new CopyOnWriteArrayList<>();
        try (JvmProcess endpoints = start(mainClasses.get(""), withPorts(endpointArgs, ports), logs, endpointLines,
                true)) {
            assertTrue(endpointLines.contains("stream " + valueOf(endpointArgs, "--stream") + " created with "
                    + valueOf(endpointArgs, "--shards") + " shards"), endpointLines.toString());
            String kinesisUrl = "http://127.0.0.1:" + ports.get(valueOf(endpointArgs, "--kinesis-port"));
            assertTrue(endpointLines.stream().anyMatch(l -> l.startsWith("Kinesis:  " + kinesisUrl + " ")),
                    "the endpoint the README's commands use is printed: " + endpointLines);

            String records = valueOf(commands.get(1).args(), "--records");
            List<String> produced = run(mainClasses.get("producer"), withPorts(commands.get(1).args(), ports), logs);
            assertTrue(produced.stream().anyMatch(l -> l.startsWith("producer closed: " + records + " added, "
                    + records + " stored, 0 failed")), String.join("\n", produced));

            List<String> consumed = run(mainClasses.get("consumer"), withPorts(commands.get(2).args(), ports), logs);
            assertTrue(consumed.contains("consumer stopped: " + records + " records processed"),
                    String.join("\n", consumed));
            endpoints.stop(Duration.ofSeconds(30));
            assertFalse(endpoints.isAlive());
        }
    }

    /** Runs a main class that ends by itself; returns its output once it exited with 0. */
    private static List<String> run(String mainClass, List<String> args, Path logs) {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (JvmProcess app = start(mainClass, args, logs, lines, false)) {
            assertTrue(app.awaitExit(APP_TIMEOUT), mainClass + " " + args + " did not end within " + APP_TIMEOUT
                    + ":\n" + String.join("\n", lines));
            assertEquals(0, app.exitCode().orElseThrow(), mainClass + " " + args + " failed:\n"
                    + String.join("\n", lines));
        }
        return lines;
    }

    private static JvmProcess start(String mainClass, List<String> args, Path logs, List<String> lines,
                                    boolean waitForReady) {
        String name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        JvmProcess.Builder builder;
        try {
            builder = JvmProcess.builder(Class.forName(mainClass));
        } catch (ClassNotFoundException e) {
            throw new AssertionError("samples/pom.xml names " + mainClass + ", which does not exist", e);
        }
        builder.args(args.toArray(String[]::new)).name(name).logFile(logs.resolve(name + ".log")).onLine(lines::add)
                .jvmOptions("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-Dpurekinesis.kinesisLocal.dir=" + System.getProperty("purekinesis.kinesisLocal.dir",
                                "target/kinesis-local"));
        if (waitForReady) {
            builder.readyLine(LocalEndpointsMain.READY::equals);
        }
        return builder.start();
    }

    /** Every exec:java command in {@code lines}, in order. */
    static List<Command> commands(List<String> lines) {
        List<Command> out = new ArrayList<>();
        for (String line : lines) {
            Matcher m = EXEC.matcher(line);
            while (m.find()) {
                String args = m.group(2) == null ? "" : m.group(2).trim();
                out.add(new Command(m.group(1) == null ? "" : m.group(1),
                        args.isEmpty() ? List.of() : Arrays.asList(args.split("\\s+"))));
            }
        }
        return out;
    }

    /** The command lines of the ```sh block after {@code <!-- commands: run-locally -->}, comments left out. */
    private static List<String> localBlock(List<String> readme) {
        int marker = readme.indexOf("<!-- commands: run-locally -->");
        assertTrue(marker >= 0 && readme.get(marker + 1).equals("```sh"), "README lost the ```sh block after"
                + " '<!-- commands: run-locally -->' (section \"Run the sample apps locally\")");
        List<String> lines = new ArrayList<>();
        for (int i = marker + 2; !readme.get(i).equals("```"); i++) {
            if (!readme.get(i).isBlank() && !readme.get(i).startsWith("#")) {
                lines.add(readme.get(i));
            }
        }
        return lines;
    }

    /** Execution id ("" for the plugin's own configuration) to main class, from this module's pom. */
    private static Map<String, String> executions() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        String plugin = pom.substring(pom.indexOf("<artifactId>exec-maven-plugin</artifactId>"));
        plugin = plugin.substring(0, plugin.indexOf("</plugin>"));
        Map<String, String> out = new LinkedHashMap<>();
        Matcher top = Pattern.compile("<mainClass>([^<]+)</mainClass>").matcher(plugin);
        assertTrue(top.find(), "samples/pom.xml: exec-maven-plugin has no default mainClass");
        out.put("", top.group(1));
        Matcher m = Pattern.compile("<id>(\\w+)</id>.*?<mainClass>([^<]+)</mainClass>", Pattern.DOTALL)
                .matcher(plugin);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private static List<String> withPorts(List<String> args, Map<String, String> ports) {
        List<String> out = new ArrayList<>();
        for (String arg : args) {
            for (Map.Entry<String, String> p : ports.entrySet()) {
                arg = arg.equals(p.getKey()) ? p.getValue() : arg.replace(":" + p.getKey(), ":" + p.getValue());
            }
            out.add(arg);
        }
        return out;
    }

    private static String valueOf(List<String> args, String flag) {
        int i = args.indexOf(flag);
        assertTrue(i >= 0 && i + 1 < args.size(), "the README command " + args + " lost " + flag);
        return args.get(i + 1);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path readme() {
        String property = System.getProperty("purekinesis.readme");
        return property != null && !property.isBlank() ? Path.of(property) : Path.of("../README.md");
    }
}
