package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's code examples are the compiled {@link ProducerExample}, {@link ConsumerExample} and
 * {@link MetricsExample}, and {@code CloudWatchMetricsExample} (compiled with {@code -Pcloudwatch} only): each ```java
 * block right after a line {@code <!-- snippet: NAME -->} must equal the source between
 * {@code // README-SNIPPET-START NAME} and {@code // README-SNIPPET-END NAME}, common indentation removed.
 * {@link #pasteFile()} prints those sections ready to paste after an example changes.
 */
class ReadmeSnippetsTest {

    private static final Path SOURCES = Path.of("src/main/java/io/purekinesis/samples");
    private static final List<String> SNIPPETS = List.of("producer", "consumer", "prometheus", "cloudwatch");

    @Test
    void readmeBlocksEqualTheCompiledExamples() throws IOException {
        Path readme = readme();
        assertTrue(hasMarkers(readme), readme + " lost its '<!-- snippet: NAME -->' markers: the examples would go"
                + " unchecked");
        check(readme);
    }

    @Test
    void checkAcceptsThePasteFileAndRejectsChanges(@TempDir Path dir) throws IOException {
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# Title\n\nSome text.\n\n" + pasteFile() + "\nMore text.\n");
        assertTrue(hasMarkers(readme));
        check(readme);

        Files.writeString(readme, pasteFile().replace("customer-7", "customer-8"));
        assertThrows(AssertionError.class, () -> check(readme), "a changed line must fail");

        String producerOnly = pasteFile().substring(0, pasteFile().indexOf("<!-- snippet: consumer -->"));
        Files.writeString(readme, producerOnly);
        assertTrue(hasMarkers(readme));
        AssertionError missing = assertThrows(AssertionError.class, () -> check(readme));
        assertTrue(missing.getMessage().contains("snippet: consumer"), missing.getMessage());

        Files.writeString(readme, "<!-- snippet: producer -->\nno code block\n");
        assertThrows(AssertionError.class, () -> check(readme), "a marker without a ```java block must fail");

        Files.writeString(readme, "# nothing marked\n```java\nint x;\n```\n");
        assertFalse(hasMarkers(readme));
    }

    static boolean hasMarkers(Path readme) throws IOException {
        return Files.readAllLines(readme, StandardCharsets.UTF_8).stream()
                .anyMatch(l -> l.trim().startsWith("<!-- snippet:"));
    }

    /** Fails unless every snippet's block in {@code readme} equals the marked source region. */
    static void check(Path readme) throws IOException {
        List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
        for (String name : SNIPPETS) {
            assertEquals(source(name), block(lines, name, readme),
                    "The ```java block after '<!-- snippet: " + name + " -->' in " + readme + " differs from the"
                            + " marked region of " + fileOf(name) + "; copy that region into the README");
        }
    }

    @Test
    void snippetsAreShort() throws IOException {
        assertTrue(source("producer").lines().count() <= 20, "the producer example grew over 20 lines");
        assertTrue(source("consumer").lines().count() <= 40, "the consumer example grew over 40 lines");
    }

    /** The README sections of all examples: each marker line and its ```java block, separated by a blank line. */
    static String pasteFile() throws IOException {
        StringBuilder text = new StringBuilder();
        for (String name : SNIPPETS) {
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append("<!-- snippet: ").append(name).append(" -->\n```java\n").append(source(name))
                    .append("```\n");
        }
        return text.toString();
    }

    private static Path readme() {
        String property = System.getProperty("purekinesis.readme");
        Path path = property != null && !property.isBlank() ? Path.of(property) : Path.of("../README.md");
        assertTrue(Files.isRegularFile(path), "README not found at " + path.toAbsolutePath());
        return path;
    }

    private static Path fileOf(String name) {
        return switch (name) {
            case "producer" -> SOURCES.resolve("ProducerExample.java");
            case "consumer" -> SOURCES.resolve("ConsumerExample.java");
            case "prometheus" -> SOURCES.resolve("MetricsExample.java");
            // outside src/main: this build's repository does not serve micrometer-registry-cloudwatch2
            case "cloudwatch" -> Path.of("src/cloudwatch/java/io/purekinesis/samples/CloudWatchMetricsExample.java");
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The marked region of the example's source, without common indentation, each line ending in '\n'. */
    static String source(String name) throws IOException {
        List<String> lines = Files.readAllLines(fileOf(name), StandardCharsets.UTF_8);
        int start = indexOf(lines, "// README-SNIPPET-START " + name, 0, fileOf(name));
        int end = indexOf(lines, "// README-SNIPPET-END " + name, start + 1, fileOf(name));
        return dedent(lines.subList(start + 1, end));
    }

    /** The ```java block following the marker, without common indentation. */
    private static String block(List<String> lines, String name, Path readme) {
        int marker = indexOf(lines, "<!-- snippet: " + name + " -->", 0, readme);
        int open = marker + 1;
        while (open < lines.size() && lines.get(open).isBlank()) {
            open++;
        }
        if (open >= lines.size() || !lines.get(open).trim().equals("```java")) {
            fail("In " + readme + ", '<!-- snippet: " + name + " -->' (line " + (marker + 1)
                    + ") must be followed by a ```java block");
        }
        int close = open + 1;
        while (close < lines.size() && !lines.get(close).trim().equals("```")) {
            close++;
        }
        if (close >= lines.size()) {
            fail("In " + readme + ", the ```java block of snippet " + name + " (line " + (open + 1)
                    + ") is not closed");
        }
        return dedent(lines.subList(open + 1, close));
    }

    private static int indexOf(List<String> lines, String marker, int from, Path file) {
        for (int i = from; i < lines.size(); i++) {
            if (lines.get(i).trim().equals(marker)) {
                return i;
            }
        }
        return fail("'" + marker + "' not found in " + file);
    }

    static String dedent(List<String> lines) {
        int indent = Integer.MAX_VALUE;
        for (String line : lines) {
            if (!line.isBlank()) {
                indent = Math.min(indent, line.length() - line.stripLeading().length());
            }
        }
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            out.add(line.isBlank() ? "" : line.substring(indent).stripTrailing());
        }
        return out.isEmpty() ? "" : String.join("\n", out) + "\n";
    }
}
