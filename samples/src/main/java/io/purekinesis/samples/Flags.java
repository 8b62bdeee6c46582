package io.purekinesis.samples;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import software.amazon.awssdk.regions.Region;

/**
 * {@code --name value} command-line flags of the sample apps. Every error names the flag and says what was expected;
 * {@code --help} is left to the caller.
 */
final class Flags {

    private final Map<String, String> values;

    private Flags(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Parses {@code args} as {@code --name value} pairs; {@code switches} are flags without a value (e.g.
     * {@code --short}), stored as "true".
     *
     * @throws IllegalArgumentException for an unknown flag, a flag without its value, or a flag given twice
     */
    static Flags parse(String[] args, Set<String> withValue, Set<String> switches) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            String value;
            if (switches.contains(flag)) {
                value = "true";
            } else if (withValue.contains(flag)) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new IllegalArgumentException("flag " + flag + " needs a value");
                }
                value = args[++i];
            } else {
                Set<String> known = new TreeSet<>(withValue);
                known.addAll(switches);
                throw new IllegalArgumentException("unknown flag " + flag + " (known: " + String.join(", ", known)
                        + ")");
            }
            if (values.put(flag, value) != null) {
                throw new IllegalArgumentException("flag " + flag + " is given twice");
            }
        }
        return new Flags(values);
    }

    boolean has(String flag) {
        return values.containsKey(flag);
    }

    Optional<String> string(String flag) {
        return Optional.ofNullable(values.get(flag));
    }

    String required(String flag) {
        String value = values.get(flag);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("flag " + flag + " is required");
        }
        return value;
    }

    long number(String flag, long defaultValue, long min, long max) {
        String value = values.get(flag);
        if (value == null) {
            return defaultValue;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flag " + flag + " must be a whole number, was '" + value + "'", e);
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException("flag " + flag + " must be in [" + min + ", " + max + "], was "
                    + parsed);
        }
        return parsed;
    }

    /** A duration such as {@code 90s}, {@code 2m}, {@code 500ms} or {@code 1h}; a bare number means seconds. */
    Optional<Duration> duration(String flag) {
        String value = values.get(flag);
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(v));
            }
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("flag " + flag + " must be positive, was '" + value + "'");
            }
            return Optional.of(d);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flag " + flag + " must be a duration like 90s, 2m or 500ms, was '"
                    + value + "'", e);
        }
    }

    Optional<URI> uri(String flag) {
        String value = values.get(flag);
        if (value == null) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null
                    || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("flag " + flag + " must be an http(s) URL such as"
                        + " http://localhost:4568, was '" + value + "'");
            }
            return Optional.of(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("flag " + flag + " must be an http(s) URL such as"
                    + " http://localhost:4568, was '" + value + "'", e);
        }
    }

    /** A region id such as {@code eu-west-1}; names the flag when it does not look like one. */
    Optional<Region> region(String flag) {
        String value = values.get(flag);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.matches("[a-z]{2}(-[a-z]+)+-\\d+")) {
            throw new IllegalArgumentException("flag " + flag + " must be a region id such as us-east-1, was '"
                    + value + "'");
        }
        return Optional.of(Region.of(value));
    }

    /** An app's {@code run}: returns whether it succeeded. */
    interface App<O> {
        boolean run(O options) throws InterruptedException;
    }

    /** Parses with {@code parser}; a bad flag prints the error and the usage and exits with 2. */
    static <O> O parseOrExit(String[] args, Function<String[], O> parser, String usage) {
        try {
            return parser.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("usage: " + usage);
            System.exit(2);
            throw e; // not reached
        }
    }

    /**
     * The apps' {@code main}: parse (a bad flag exits 2 with the usage), run (an error exits 1 with its message),
     * exit 0 on success.
     */
    static <O> void runMain(String[] args, Function<String[], O> parser, String usage, App<O> app)
            throws InterruptedException {
        O options = parseOrExit(args, parser, usage);
        try {
            System.exit(app.run(options) ? 0 : 1);
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause()));
            System.exit(1);
        }
    }
}
