package io.purekinesis.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and peak resident set of this process from Linux {@code /proc/self}, for the consumer race's children. The
 * parsers are separate from the file reads so they can be tested on fixed text.
 */
final class ProcSelf {

    /** USER_HZ: the unit of utime/stime in /proc/[pid]/stat (100 on every Linux the benchmarks run on). */
    static final int CLOCK_TICKS_PER_SECOND = 100;

    private ProcSelf() {
    }

    /** User plus system CPU of this process (all threads) in seconds, or -1 where /proc is missing. */
    static double cpuSeconds() {
        try {
            return cpuTicks(Files.readString(Path.of("/proc/self/stat"))) / (double) CLOCK_TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Peak resident set (VmHWM) of this process in KiB, or -1 where /proc is missing. */
    static long peakRssKib() {
        try {
            return statusKib(Files.readString(Path.of("/proc/self/status")), "VmHWM");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime (fields 14 and 15) of a {@code /proc/[pid]/stat} line. The command name (field 2) is in
     * parentheses and may itself contain spaces and parentheses, so fields are counted from the last ')'.
     */
    static long cpuTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/[pid]/stat line: " + stat);
        }
        // after ')' come field 3 (state), 4, ...: utime is field 14, i.e. index 11 of the rest
        String[] rest = stat.substring(close + 1).trim().split("\\s+");
        return Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
    }

    /** The value in KiB of a {@code Name:   123 kB} line of {@code /proc/[pid]/status}. */
    static long statusKib(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String value = line.substring(name.length() + 1).trim();
                int space = value.indexOf(' ');
                return Long.parseLong(space < 0 ? value : value.substring(0, space));
            }
        }
        throw new IllegalArgumentException("no " + name + " in /proc/[pid]/status");
    }
}
