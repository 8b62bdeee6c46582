package io.purekinesis.userpomcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalDynamoDb;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The class path of a project that depends on purekinesis-producer, -consumer and -testkit and pins nothing (this
 * module's pom has no parent and imports no BOM): one version of each library family that breaks when mixed. Maven
 * picks the nearest declaration, so without testkit's own declarations DynamoDB Local's SDK 2.48.x modules and
 * Jackson 2.12.7 would come along.
 */
class UserClassPathTest {

    /** Maven Central has no 2.41.x of it; its SDK modules are excluded, so only this one jar differs. */
    private static final Set<String> SDK_EXCEPTIONS = Set.of("pinpoint");

    @Test
    void oneAwsSdkVersion() {
        Map<String, String> sdk = jars("/software/amazon/awssdk/");
        sdk.keySet().removeAll(SDK_EXCEPTIONS);
        assertTrue(sdk.containsKey("kinesis") && sdk.containsKey("dynamodb-enhanced"), sdk.toString());
        assertOneVersion("AWS SDK", sdk);
    }

    @Test
    void oneJacksonVersionTheOneOurBuildTestsWith() throws IOException {
        // Since 2.20, jackson-annotations is versioned by major.minor only (2.21 goes with 2.21.x).
        Map<String, String> jackson = jars("/com/fasterxml/jackson/");
        assertTrue(jackson.containsKey("jackson-datatype-jsr310"), jackson.toString());
        Map<String, String> minor = new TreeMap<>();
        jackson.forEach((artifact, version) -> minor.put(artifact, version.replaceAll("^(\\d+\\.\\d+).*", "$1")));
        assertOneVersion("Jackson (major.minor)", minor);
        jackson.remove("jackson-annotations");
        assertOneVersion("Jackson", jackson);

        Matcher bom = Pattern.compile("<artifactId>jackson-bom</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("../pom.xml")));
        assertTrue(bom.find(), "the root pom no longer imports jackson-bom");
        assertEquals(Set.of(bom.group(1)), Set.copyOf(jackson.values()), "A user's project gets another Jackson than"
                + " the one our build tests with (the root pom's jackson-bom): " + jackson);
    }

    @Test
    void oneNettyVersion() {
        assertOneVersion("Netty", jars("/io/netty/"));
    }

    @Test
    void dynamoDbLocalRunsOnThisClassPath() {
        LocalDynamoDb dynamoDb = LocalDynamoDb.builder().start();
        try (DynamoDbAsyncClient client = dynamoDb.asyncClientBuilder().build()) {
            client.createTable(b -> b.tableName("user-pom-check")
                    .keySchema(KeySchemaElement.builder().attributeName("k").keyType(KeyType.HASH).build())
                    .attributeDefinitions(AttributeDefinition.builder().attributeName("k")
                            .attributeType(ScalarAttributeType.S).build())
                    .billingMode(BillingMode.PAY_PER_REQUEST)).join();
            assertEquals(List.of("user-pom-check"), client.listTables().join().tableNames());
        } finally {
            dynamoDb.close();
        }
    }

    private static void assertOneVersion(String family, Map<String, String> versions) {
        assertFalse(versions.isEmpty(), "no " + family + " jar on the class path");
        Map<String, Set<String>> byVersion = versions.entrySet().stream().collect(Collectors.groupingBy(
                Map.Entry::getValue, TreeMap::new, Collectors.mapping(Map.Entry::getKey, Collectors.toCollection(
                        TreeSet::new))));
        assertEquals(1, byVersion.size(), "A user's project without a pin gets several " + family + " versions,"
                + " which fail at run time with NoSuchMethodError and the like: " + byVersion);
    }

    /** artifactId -> version of the class path's jars whose repository path contains {@code groupPath}. */
    private static Map<String, String> jars(String groupPath) {
        Map<String, String> out = new TreeMap<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            String unix = jar.toString().replace(File.separatorChar, '/');
            if (!unix.contains(groupPath) || !unix.endsWith(".jar") || jar.getNameCount() < 3) {
                continue;
            }
            String version = jar.getParent().getFileName().toString();
            String artifact = jar.getParent().getParent().getFileName().toString();
            if (jar.getFileName().toString().startsWith(artifact + "-" + version)) {
                out.put(artifact, version);
            }
        }
        return out;
    }
}
