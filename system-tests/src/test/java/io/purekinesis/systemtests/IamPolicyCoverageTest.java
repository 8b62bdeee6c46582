package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.systemtests.IamPolicies.Grant;
import io.purekinesis.systemtests.IamPolicyCoverage.Call;
import io.purekinesis.systemtests.IamPolicyCoverage.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces of {@link IamPolicyCheck} on made-up READMEs and recordings. */
class IamPolicyCoverageTest {

    private static final String README = """
            # Title

            <!-- iam-policy: producer -->
            ```json
            { "Version": "2012-10-17",
              "Statement": [
                { "Effect": "Allow", "Action": "kinesis:PutRecords",
                  "Resource": "arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM" } ] }
            ```

            <!-- iam-policy: consumer -->

            ```json
            { "Version": "2012-10-17",
              "Statement": [
                { "Sid": "Stream", "Effect": "Allow", "Action": ["kinesis:Get*", "kinesis:ListShards"],
                  "Resource": "arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM" },
                { "Effect": "Allow", "Action": ["dynamodb:UpdateItem", "dynamodb:Query"],
                  "Resource": ["arn:aws:dynamodb:REGION:ACCOUNT:table/APPLICATION_NAME"] } ] }
            ```
            """;

    @Test
    void parsesEachMarkedBlockIntoGrants() {
        Map<String, List<Grant>> policies = IamPolicies.parse(README.lines().toList());
        assertEquals(List.of("producer", "consumer"), List.copyOf(policies.keySet()));
        assertEquals(List.of(new Grant("kinesis:PutRecords", "arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM")),
                policies.get("producer"));
        assertEquals(4, policies.get("consumer").size());
    }

    @Test
    void namesEachCallThePoliciesDoNotGrant() {
        Map<Call, Set<String>> calls = Map.of(
                call("producer", "kinesis:PutRecords", "stream/STREAM"), Set.of("producer"),
                call("producer", "kinesis:DescribeStreamSummary", "stream/STREAM"), Set.of("producer"),
                call("consumer", "kinesis:GetRecords", "stream/STREAM"), Set.of("consumer"),
                call("consumer", "kinesis:getshardIterator", "stream/STREAM"), Set.of("consumer"),
                call("consumer", "dynamodb:UpdateItem", "table/TABLE"), Set.of("consumer", "system-tests"),
                call("consumer", "dynamodb:DeleteItem", "table/TABLE"), Set.of("consumer"),
                call("consumer", "dynamodb:Query", "table/TABLE/index/INDEX"), Set.of("consumer"),
                call("consumer", "kinesis:UpdateItem", "stream/STREAM"), Set.of("consumer"),
                call("checker", "kinesis:ListShards", "stream/STREAM"), Set.of("samples"));
        Result result = IamPolicyCoverage.compare(IamPolicies.parse(README.lines().toList()), calls);

        String missing = String.join("\n", result.missing());
        assertEquals(5, result.missing().size(), missing);
        assertTrue(missing.contains("producer kinesis:DescribeStreamSummary on stream/STREAM (recorded in producer):"
                + " not granted by the producer policy"), missing);
        assertTrue(missing.contains("consumer dynamodb:DeleteItem on table/TABLE"), missing);
        assertTrue(missing.contains("consumer dynamodb:Query on table/TABLE/index/INDEX (recorded in consumer): not"
                + " granted by the consumer policy (only on [arn:aws:dynamodb:REGION:ACCOUNT:table/APPLICATION_NAME])"),
                "a table's grant does not cover its index: " + missing);
        assertTrue(missing.contains("consumer kinesis:UpdateItem on stream/STREAM"), "the service must match");
        assertTrue(missing.contains("checker kinesis:ListShards on stream/STREAM (recorded in samples): the README has"
                + " no IAM policy for the checker"), missing);
        assertFalse(missing.contains("getshardIterator"), "IAM actions ignore case: " + missing);

        assertEquals(List.of(), result.unrecorded());
        assertEquals(List.of("consumer kinesis:ListShards on arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM",
                "consumer dynamodb:Query on arn:aws:dynamodb:REGION:ACCOUNT:table/APPLICATION_NAME"),
                result.neverCalled());
    }

    @Test
    void actionsIgnoreCaseAndWildcardsSpanPathSegments() {
        assertTrue(new Grant("kinesis:get*", "*").allowsAction("kinesis:GetShardIterator"));
        Grant indexes = new Grant("dynamodb:Query", "arn:aws:dynamodb:REGION:ACCOUNT:table/APPLICATION_NAME/index/*");
        assertTrue(indexes.allowsResource("dynamodb", "table/TABLE/index/INDEX"));
        assertFalse(indexes.allowsResource("dynamodb", "table/TABLE"));
        assertTrue(new Grant("dynamodb:Query", "arn:aws:dynamodb:*:*:table/*").allowsResource("dynamodb",
                "table/TABLE/index/INDEX"), "* spans segments, as in IAM");
        assertFalse(new Grant("dynamodb:Query", "arn:aws:dynamodb:*:*:table/my-app").allowsResource("dynamodb",
                "table/TABLE"), "a lower-case name is a name, not a placeholder");
    }

    @Test
    void nothingRecordedForALibraryIsAFailure() {
        Result result = IamPolicyCoverage.compare(IamPolicies.parse(README.lines().toList()),
                Map.of(call("producer", "kinesis:PutRecords", "stream/STREAM"), Set.of("producer")));
        assertEquals(List.of(), result.missing());
        assertEquals(1, result.unrecorded().size(), result.unrecorded().toString());
        assertTrue(result.unrecorded().get(0).startsWith("no call of the consumer was recorded"));
    }

    @Test
    void refusesPoliciesItCannotJudge() {
        assertMessage("must be followed by a ```json block", "<!-- iam-policy: producer -->\ntext\n");
        assertMessage("is not closed", "<!-- iam-policy: producer -->\n```json\n{}\n");
        assertMessage("is not valid JSON", "<!-- iam-policy: producer -->\n```json\n{ \"Version\": \n```\n");
        assertMessage("\"Statement\" array",
                "<!-- iam-policy: producer -->\n```json\n{\"Version\": \"2012-10-17\"}\n```\n");
        assertMessage("\"Condition\"", policy("{\"Effect\": \"Allow\", \"Action\": \"kinesis:PutRecords\","
                + " \"Resource\": \"*\", \"Condition\": {}}"));
        assertMessage("only \"Effect\": \"Allow\"", policy("{\"Effect\": \"Deny\", \"Action\": \"kinesis:PutRecords\","
                + " \"Resource\": \"*\"}"));
        assertMessage("is not an IAM action", policy("{\"Effect\": \"Allow\", \"Action\": \"PutRecords\","
                + " \"Resource\": \"*\"}"));
        assertMessage("is not an ARN", policy("{\"Effect\": \"Allow\", \"Action\": \"kinesis:PutRecords\","
                + " \"Resource\": \"stream/STREAM\"}"));
        assertMessage("must be a string or a non-empty array", policy("{\"Effect\": \"Allow\", \"Action\": [],"
                + " \"Resource\": \"*\"}"));
        assertMessage("is given twice", README + README);
    }

    @Test
    void readsTheRecordersFilesOfEveryModule(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("purekinesis-consumer"));
        Files.createDirectories(root.resolve("purekinesis-system-tests"));
        Files.writeString(root.resolve("purekinesis-consumer/calls-1.tsv"),
                "consumer\tdynamodb:PutItem\ttable/TABLE\nconsumer\tkinesis:GetRecords\tstream/STREAM\n");
        Files.writeString(root.resolve("purekinesis-system-tests/calls-2.tsv"),
                "consumer\tdynamodb:PutItem\ttable/TABLE\n");
        Files.writeString(root.resolve("iam-policy-report.txt"), "not a recording\n");
        assertEquals(Map.of(call("consumer", "dynamodb:PutItem", "table/TABLE"),
                        Set.of("purekinesis-consumer", "purekinesis-system-tests"),
                        call("consumer", "kinesis:GetRecords", "stream/STREAM"), Set.of("purekinesis-consumer")),
                IamPolicyCoverage.read(root));
        assertEquals(Map.of(), IamPolicyCoverage.read(root.resolve("absent")));

        Files.writeString(root.resolve("purekinesis-consumer/calls-3.tsv"), "consumer PutItem\n");
        assertTrue(assertThrows(IllegalStateException.class, () -> IamPolicyCoverage.read(root)).getMessage()
                .contains("calls-3.tsv line 1"));
    }

    @Test
    void theReadmeHasAPolicyPerLibrary() throws IOException {
        String property = System.getProperty("purekinesis.readme");
        Path readme = Path.of(property != null ? property : "../README.md");
        assertEquals(IamPolicyCheck.LIBRARIES, List.copyOf(IamPolicies.parse(Files.readAllLines(readme)).keySet()));
    }

    private static Call call(String library, String action, String resource) {
        return new Call(library, action, resource);
    }

    private static String policy(String statement) {
        return "<!-- iam-policy: producer -->\n```json\n{\"Version\": \"2012-10-17\", \"Statement\": [" + statement
                + "]}\n```\n";
    }

    private static void assertMessage(String expected, String markdown) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IamPolicies.parse(markdown.lines().toList()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("'producer'") || e.getMessage().contains("'consumer'"), e.getMessage());
    }
}
