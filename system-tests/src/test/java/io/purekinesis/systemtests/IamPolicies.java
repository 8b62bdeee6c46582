package io.purekinesis.systemtests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's IAM policies, one per library: each is the {@code ```json} block right after a line
 * {@code <!-- iam-policy: LIBRARY -->}, a complete policy document a user can paste. Only what the check can judge
 * is accepted: {@code Allow} statements of {@code Action} and {@code Resource}; anything else (Deny, NotAction,
 * Condition, ...) is refused rather than misread.
 */
final class IamPolicies {

    private static final Pattern MARKER = Pattern.compile("^\\s*<!-- iam-policy: ([a-z-]+) -->\\s*$");
    private static final Set<String> STATEMENT_FIELDS = Set.of("Sid", "Effect", "Action", "Resource");
    private static final Pattern PLACEHOLDER = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final ObjectMapper JSON = new ObjectMapper();

    private IamPolicies() {
    }

    /** One allowed (action, resource) pair; either may hold IAM wildcards, the resource README placeholders. */
    record Grant(String action, String resource) {

        /** IAM matches actions case-insensitively, with {@code *} and {@code ?} wildcards. */
        boolean allowsAction(String calledAction) {
            return Pattern.compile(globRegex(action), Pattern.CASE_INSENSITIVE).matcher(calledAction).matches();
        }

        /**
         * Whether the resource ARN covers a call of {@code service} on {@code path} ({@code stream/STREAM},
         * {@code table/TABLE/index/INDEX}, ... as {@code AwsCallRecorder} writes it). A path segment that is a
         * placeholder (upper case, such as {@code STREAM} or {@code APPLICATION_NAME}, which the user replaces by a
         * name) stands for one segment; {@code *} for anything, as in IAM.
         */
        boolean allowsResource(String service, String path) {
            if (resource.equals("*")) {
                return true;
            }
            String[] arn = resource.split(":", 6);
            StringBuilder regex = new StringBuilder();
            for (String segment : arn[5].split("/", -1)) {
                regex.append(regex.length() == 0 ? "" : "/")
                        .append(PLACEHOLDER.matcher(segment).matches() ? "[^/]+" : globRegex(segment));
            }
            return Pattern.compile(globRegex(arn[2])).matcher(service).matches()
                    && Pattern.compile(regex.toString()).matcher(path).matches();
        }

        private static String globRegex(String glob) {
            StringBuilder regex = new StringBuilder();
            for (char c : glob.toCharArray()) {
                regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
            }
            return regex.toString();
        }
    }

    /**
     * The policies in {@code markdown}, by library, in the order they appear.
     *
     * @throws IllegalArgumentException naming the library and line when a block is missing, not JSON, or uses what
     *     the check cannot judge
     */
    static Map<String, List<Grant>> parse(List<String> markdown) {
        Map<String, List<Grant>> policies = new LinkedHashMap<>();
        for (int i = 0; i < markdown.size(); i++) {
            Matcher marker = MARKER.matcher(markdown.get(i));
            if (!marker.matches()) {
                continue;
            }
            String library = marker.group(1);
            String where = "the IAM policy '" + library + "' (line " + (i + 1) + ")";
            int open = i + 1;
            while (open < markdown.size() && markdown.get(open).isBlank()) {
                open++;
            }
            if (open >= markdown.size() || !markdown.get(open).trim().equals("```json")) {
                throw new IllegalArgumentException(where + " must be followed by a ```json block");
            }
            int close = open + 1;
            while (close < markdown.size() && !markdown.get(close).trim().equals("```")) {
                close++;
            }
            if (close >= markdown.size()) {
                throw new IllegalArgumentException("the ```json block of " + where + " is not closed");
            }
            if (policies.put(library, grants(String.join("\n", markdown.subList(open + 1, close)), where)) != null) {
                throw new IllegalArgumentException(where + " is given twice");
            }
            i = close;
        }
        return policies;
    }

    private static List<Grant> grants(String json, String where) {
        JsonNode policy;
        try {
            policy = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode statements = policy.path("Statement");
        if (!policy.path("Version").asText().equals("2012-10-17") || !statements.isArray() || statements.isEmpty()) {
            throw new IllegalArgumentException(where + " needs \"Version\": \"2012-10-17\" and a \"Statement\" array");
        }
        List<Grant> grants = new ArrayList<>();
        for (JsonNode statement : statements) {
            statement.fieldNames().forEachRemaining(field -> {
                if (!STATEMENT_FIELDS.contains(field)) {
                    throw new IllegalArgumentException(where + ": a statement has \"" + field + "\", which this check"
                            + " cannot judge (it knows " + STATEMENT_FIELDS + ")");
                }
            });
            if (!statement.path("Effect").asText().equals("Allow")) {
                throw new IllegalArgumentException(where + ": only \"Effect\": \"Allow\" statements are checked, found "
                        + statement.path("Effect"));
            }
            for (String action : strings(statement.path("Action"), "Action", where)) {
                if (!action.matches("[a-z0-9-]+:[A-Za-z*?]+") && !action.equals("*")) {
                    throw new IllegalArgumentException(where + ": \"" + action + "\" is not an IAM action"
                            + " (service:Operation)");
                }
                for (String resource : strings(statement.path("Resource"), "Resource", where)) {
                    if (!resource.equals("*") && !(resource.startsWith("arn:") && resource.split(":", 6).length == 6)) {
                        throw new IllegalArgumentException(where + ": \"" + resource + "\" is not an ARN"
                                + " (arn:aws:SERVICE:REGION:ACCOUNT:PATH) or *");
                    }
                    grants.add(new Grant(action, resource));
                }
            }
        }
        return grants;
    }

    private static List<String> strings(JsonNode node, String field, String where) {
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        }
        if (out.isEmpty() || out.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException(where + ": a statement's \"" + field + "\" must be a string or a"
                    + " non-empty array of strings");
        }
        return out;
    }
}
