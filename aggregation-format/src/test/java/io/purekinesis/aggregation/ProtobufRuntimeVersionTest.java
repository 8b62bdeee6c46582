package io.purekinesis.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * Each execution of the protobuf matrix (see this module's pom) runs this module's tests on one protobuf-java
 * runtime and names it in {@code purekinesis.expectedProtobufVersion}; this test fails the execution when another
 * runtime was loaded, so a misconfigured matrix cannot pass without testing what it claims.
 */
class ProtobufRuntimeVersionTest {

    @Test
    void theLoadedRuntimeIsTheOneThisExecutionNames() throws Exception {
        String expected = System.getProperty("purekinesis.expectedProtobufVersion");
        assertNotNull(expected, "the surefire execution must set purekinesis.expectedProtobufVersion");
        String loaded = loadedVersion();
        System.out.printf("protobuf-java runtime on the test class path: %s (from %s)%n", loaded, jarOf());
        assertEquals(expected, loaded);
    }

    /** The Bundle-Version of the jar that holds CodedInputStream: every protobuf-java jar from 3.x to 4.x has it. */
    static String loadedVersion() throws IOException, URISyntaxException {
        try (JarFile jar = new JarFile(jarOf().toFile())) {
            return jar.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }

    private static Path jarOf() throws URISyntaxException {
        return Path.of(CodedInputStream.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
