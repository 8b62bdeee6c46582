package io.purekinesis.systemtests;

import io.purekinesis.systemtests.IamPolicies.Grant;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Compares the AWS calls the libraries made in the tests ({@code AwsCallRecorder}'s files) with the README's IAM
 * policies: a call no policy statement grants is what a user who copies the policy gets AccessDenied for.
 */
final class IamPolicyCoverage {

    private IamPolicyCoverage() {
    }

    /** One recorded line: which library called which IAM action, on which kind of resource. */
    record Call(String library, String action, String resource) implements Comparable<Call> {

        String service() {
            return action.substring(0, action.indexOf(':'));
        }

        @Override
        public int compareTo(Call o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return library + " " + action + " on " + resource;
        }
    }

    /** What the comparison found; {@link #missing()} and {@link #unrecorded()} are failures. */
    record Result(List<String> missing, List<String> unrecorded, List<String> neverCalled) {
    }

    /**
     * Every call recorded in the {@code *.tsv} files under {@code root}, each with the directories (one per module)
     * it was recorded in. Empty when {@code root} does not exist.
     */
    static Map<Call, Set<String>> read(Path root) throws IOException {
        Map<Call, Set<String>> calls = new TreeMap<>();
        if (!Files.isDirectory(root)) {
            return calls;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(f -> f.toString().endsWith(".tsv")).sorted().toList();
        }
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String[] fields = lines.get(i).split("\t", -1);
                if (fields.length != 3 || !fields[1].matches("[a-z0-9-]+:[A-Za-z]+")) {
                    throw new IllegalStateException(file + " line " + (i + 1) + " is not 'library TAB service:Operation"
                            + " TAB resource': " + lines.get(i));
                }
                calls.computeIfAbsent(new Call(fields[0], fields[1], fields[2]), c -> new TreeSet<>())
                        .add(root.relativize(file).getName(0).toString());
            }
        }
        return calls;
    }

    /** Compares {@code calls} with the {@code policies} (by library). */
    static Result compare(Map<String, List<Grant>> policies, Map<Call, Set<String>> calls) {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<Call, Set<String>> entry : calls.entrySet()) {
            Call call = entry.getKey();
            List<Grant> policy = policies.get(call.library());
            String where = " (recorded in " + String.join(", ", entry.getValue()) + ")";
            if (policy == null) {
                missing.add(call + where + ": the README has no IAM policy for the " + call.library() + " (a ```json"
                        + " block after '<!-- iam-policy: " + call.library() + " -->')");
            } else if (policy.stream().noneMatch(g -> grants(g, call))) {
                List<String> otherResources = policy.stream().filter(g -> g.allowsAction(call.action()))
                        .map(Grant::resource).toList();
                missing.add(call + where + ": not granted by the " + call.library() + " policy"
                        + (otherResources.isEmpty() ? "" : " (only on " + otherResources + ")"));
            }
        }
        List<String> unrecorded = new ArrayList<>();
        List<String> neverCalled = new ArrayList<>();
        policies.forEach((library, grants) -> {
            if (calls.keySet().stream().noneMatch(c -> c.library().equals(library))) {
                unrecorded.add("no call of the " + library + " was recorded: is AwsCallRecorder registered"
                        + " (src/test/resources/software/amazon/awssdk/global/handlers/execution.interceptors) and"
                        + " -Dpurekinesis.awsCalls.dir set in the modules that test it, and does it tag its"
                        + " requests with the ApiName purekinesis-" + library + "?");
            }
            for (Grant g : grants) {
                if (calls.keySet().stream().noneMatch(c -> c.library().equals(library) && grants(g, c))) {
                    neverCalled.add(library + " " + g.action() + " on " + g.resource());
                }
            }
        });
        return new Result(missing, unrecorded, neverCalled);
    }

    private static boolean grants(Grant grant, Call call) {
        return grant.allowsAction(call.action()) && grant.allowsResource(call.service(), call.resource());
    }
}
