package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.systemtests.IamPolicyCoverage.Call;
import io.purekinesis.systemtests.IamPolicyCoverage.Result;
import io.purekinesis.testkit.AwsCallRecorder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The README's IAM policies grant every AWS call the libraries made in this build's tests (producer, consumer,
 * samples and system-tests record them through {@link AwsCallRecorder}). Not a {@code *Test}: a second Surefire
 * execution runs it after all other tests of this module (see the pom), so it sees their calls.
 */
class IamPolicyCheck {

    static final List<String> LIBRARIES = List.of("producer", "consumer");

    @Test
    void readmePoliciesGrantEveryRecordedCall() throws IOException {
        Path root = Path.of(property("purekinesis.awsCalls.root"));
        Path own = Path.of(property(AwsCallRecorder.DIR_PROPERTY));
        Path readme = Path.of(property("purekinesis.readme"));

        // This module's tests run both libraries: if they recorded nothing, the recorder is not wired up.
        Set<Call> ownCalls = IamPolicyCoverage.read(own).keySet();
        for (String library : LIBRARIES) {
            assertTrue(ownCalls.stream().anyMatch(c -> c.library().equals(library)), "The tests of this module"
                    + " recorded no AWS call of the " + library + " in " + own + ": AwsCallRecorder is not registered"
                    + " (test resource software/amazon/awssdk/global/handlers/execution.interceptors), or the "
                    + library + " does not tag its requests with the ApiName purekinesis-" + library);
        }

        Map<Call, Set<String>> calls = IamPolicyCoverage.read(root);
        Map<String, List<IamPolicies.Grant>> policies =
                IamPolicies.parse(Files.readAllLines(readme, StandardCharsets.UTF_8));
        assertEquals(LIBRARIES, List.copyOf(policies.keySet()), readme + " must have an IAM policy per library,"
                + " each a ```json block after '<!-- iam-policy: LIBRARY -->'");
        Result result = IamPolicyCoverage.compare(policies, calls);

        StringBuilder report = new StringBuilder("AWS calls recorded under " + root + ":\n");
        calls.forEach((call, modules) -> report.append("  ").append(call).append("  (").append(String.join(", ",
                modules)).append(")\n"));
        report.append("Granted by the README but never called in the tests (keep only if a path the tests do not"
                + " reach needs it):\n");
        result.neverCalled().forEach(g -> report.append("  ").append(g).append('\n'));
        Files.writeString(root.resolve("iam-policy-report.txt"), report, StandardCharsets.UTF_8);
        System.out.print(report);

        assertEquals(List.of(), result.unrecorded(), "Nothing recorded for a library");
        assertFalse(calls.isEmpty());
        assertTrue(result.missing().isEmpty(), "The IAM policies in " + readme + " miss "
                + result.missing().size() + " call(s) the libraries made; a user who copies them gets AccessDenied:\n  "
                + String.join("\n  ", result.missing()));
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        assertTrue(value != null && !value.isBlank(), "-D" + name + " is not set: run this check through the build"
                + " (mvn verify), which sets it");
        return value;
    }
}
