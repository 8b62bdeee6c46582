package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.systemtests.IamPolicies.Grant;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every AWS request the libraries' sources build (their own and those of the internal module {@code common}, which
 * both use) is granted by the README's policy, also on paths the tests do not reach (where {@link IamPolicyCheck},
 * which sees only calls made, cannot look).
 */
class IamPolicySourcesTest {

    @Test
    void everyRequestTheLibrariesBuildIsGrantedToThem() throws IOException {
        String property = System.getProperty("purekinesis.readme");
        Path readme = Path.of(property != null ? property : "../README.md");
        Map<String, List<Grant>> policies = IamPolicies.parse(Files.readAllLines(readme, StandardCharsets.UTF_8));
        for (String library : IamPolicyCheck.LIBRARIES) {
            // common's requests (the next pages of ListShards) are sent by both libraries.
            Set<String> actions = new TreeSet<>(LibraryRequests.actions(Path.of("..", library, "src", "main", "java")));
            actions.addAll(LibraryRequests.actions(Path.of("..", "common", "src", "main", "java")));
            assertTrue(actions.size() >= 2, library + " builds no AWS request? " + actions);
            List<String> missing = actions.stream()
                    .filter(a -> policies.get(library).stream().noneMatch(g -> g.allowsAction(a))).toList();
            assertEquals(List.of(), missing, "The " + library + " sources build these requests, which its IAM"
                    + " policy in " + readme + " does not grant (a user who copies it gets AccessDenied)");
        }
    }

    @Test
    void readsTheServiceFromTheImports(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("A.java"), """
                import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
                import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
                import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
                class A {
                    Object a = ListShardsRequest.builder().build();
                    Object b = PutItemRequest.builder();
                    Object c = PutRecordsRequestEntry.builder();
                }
                """);
        Files.writeString(dir.resolve("B.java"), """
                import software.amazon.awssdk.services.dynamodb.model.*;
                class B {
                    Object d = QueryRequest.builder();
                }
                """);
        assertEquals(Set.of("kinesis:ListShards", "dynamodb:PutItem", "dynamodb:Query"), LibraryRequests.actions(dir));
    }
}
