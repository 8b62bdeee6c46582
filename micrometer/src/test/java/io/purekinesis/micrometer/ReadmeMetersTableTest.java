package io.purekinesis.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's table of meters lists exactly the meters {@link PureKinesisMeters} names, no more, no fewer. */
class ReadmeMetersTableTest {

    private static final Pattern ROW = Pattern.compile("^\\| `(purekinesis\\.[a-z.]+)` \\|");

    @Test
    void readmeTableListsEveryMeter() throws IOException, IllegalAccessException {
        Path readme = Path.of(System.getProperty("purekinesis.readme", "../README.md"));
        assertTrue(Files.isRegularFile(readme), "README not found at " + readme.toAbsolutePath());
        Set<String> documented = new TreeSet<>();
        for (String line : Files.readAllLines(readme, StandardCharsets.UTF_8)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                documented.add(m.group(1));
            }
        }
        Set<String> meters = new TreeSet<>();
        for (Field f : PureKinesisMeters.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && !f.getName().startsWith("TAG_")) {
                meters.add((String) f.get(null));
            }
        }
        assertEquals(27, meters.size(), "a meter was added or removed: update this count and the README");
        assertEquals(meters, documented, "README's Metrics table vs PureKinesisMeters");
    }
}
