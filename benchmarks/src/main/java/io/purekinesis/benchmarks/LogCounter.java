package io.purekinesis.benchmarks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the WARN and ERROR lines slf4j-simple writes to System.err (it looks System.err up at every line, so a
 * stream set before the first log line sees them all), and keeps the first few of each phase as examples. Lines
 * pass through unchanged.
 */
final class LogCounter extends PrintStream {

    private static final int EXAMPLES = 5;

    private final AtomicLong warnings = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final List<String> examples = new ArrayList<>(); // guarded by this

    private LogCounter(PrintStream out) {
        super(out, true);
    }

    /** Replaces System.err with a counter writing to it. */
    static LogCounter install() {
        LogCounter c = new LogCounter(System.err);
        System.setErr(c);
        return c;
    }

    long warnings() {
        return warnings.get();
    }

    long errors() {
        return errors.get();
    }

    /** The example lines kept since the last call, and forgets them. */
    synchronized List<String> takeExamples() {
        List<String> l = List.copyOf(examples);
        examples.clear();
        return l;
    }

    @Override
    public void println(String line) {
        count(line);
        super.println(line);
    }

    @Override
    public void println(Object line) {
        count(String.valueOf(line));
        super.println(line);
    }

    private void count(String line) {
        if (line == null) {
            return;
        }
        boolean error = line.contains("] ERROR ");
        boolean warn = line.contains("] WARN ");
        if (!error && !warn) {
            return;
        }
        (error ? errors : warnings).incrementAndGet();
        synchronized (this) {
            if (examples.size() < EXAMPLES) {
                examples.add(line.length() > 300 ? line.substring(0, 300) + "..." : line);
            }
        }
    }
}
