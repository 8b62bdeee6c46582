package io.purekinesis.systemtests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The IAM actions a library's main sources can call, read from the SDK request types they build
 * ({@code ListShardsRequest.builder()} is {@code kinesis:ListShards}). It complements the recorded calls
 * ({@link IamPolicyCheck}) with the paths the tests do not reach, at the price of not knowing the resource (a
 * table or one of its indexes): it checks actions only.
 */
final class LibraryRequests {

    private static final Pattern IMPORT = Pattern.compile(
            "^import software\\.amazon\\.awssdk\\.services\\.(\\w+)\\.model\\.(\\w+|\\*);", Pattern.MULTILINE);
    private static final Pattern BUILDER = Pattern.compile("\\b(\\w+)Request\\.builder\\(\\)");

    private LibraryRequests() {
    }

    /** {@code service:Operation} for every request type built in the {@code .java} files under {@code sources}. */
    static Set<String> actions(Path sources) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        Set<String> actions = new TreeSet<>();
        for (Path file : files) {
            String source = Files.readString(file);
            Map<String, String> serviceOf = new HashMap<>();
            Set<String> wildcardServices = new TreeSet<>();
            Matcher imports = IMPORT.matcher(source);
            while (imports.find()) {
                if (imports.group(2).equals("*")) {
                    wildcardServices.add(imports.group(1));
                } else {
                    serviceOf.put(imports.group(2), imports.group(1));
                }
            }
            Matcher builder = BUILDER.matcher(source);
            while (builder.find()) {
                String type = builder.group(1) + "Request";
                String service = serviceOf.get(type);
                if (service == null && wildcardServices.size() == 1) {
                    service = wildcardServices.iterator().next();
                }
                if (service == null) {
                    throw new IllegalStateException(file + " builds " + type + " without importing it from one"
                            + " software.amazon.awssdk.services.*.model package: cannot tell its service");
                }
                actions.add(service + ":" + builder.group(1));
            }
        }
        return actions;
    }
}
