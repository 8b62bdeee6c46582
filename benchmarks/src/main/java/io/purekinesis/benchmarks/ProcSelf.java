package io.purekinesis.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

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

    /**
     * CPU seconds of this process's live threads, summed per thread group: the thread's name as Linux has it
     * ({@code comm}, the JVM's thread name cut to 15 characters) with its digits replaced by {@code #}, so that pools
     * ({@code aws-java-sdk-NettyEventLoop-0-1}, {@code qtp12345-17}) fall into one group. Threads that ended are
     * missing, which is why the race reads this twice and subtracts. Empty where /proc is missing.
     */
    static Map<String, Double> cpuSecondsByThreadGroup() {
        Map<String, Double> groups = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String name = threadGroup(Files.readString(task.resolve("comm")).trim());
                    double cpu = cpuTicks(Files.readString(task.resolve("stat"))) / (double) CLOCK_TICKS_PER_SECOND;
                    groups.merge(name, cpu, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return groups;
    }

    /**
     * CPU seconds of this JVM's live Java threads by their full names (which /proc cuts to 15 characters), grouped
     * as in {@link #cpuSecondsByThreadGroup}. JIT and GC threads are not Java threads and are not in it.
     */
    static Map<String, Double> javaCpuSecondsByThreadGroup() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Double> groups = new TreeMap<>();
        for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info == null) {
                continue; // ended meanwhile
            }
            long nanos = mx.getThreadCpuTime(info.getThreadId());
            if (nanos >= 0) {
                groups.merge(threadGroup(info.getThreadName()), nanos / 1e9, Double::sum);
            }
        }
        return groups;
    }

    /** A thread name with every run of digits replaced by one {@code #}. */
    static String threadGroup(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /** User plus system CPU of process {@code pid} in seconds, or -1 if it is -1 or unreadable. */
    static double cpuSeconds(long pid) {
        if (pid < 0) {
            return -1;
        }
        try {
            return cpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat"))) / (double) CLOCK_TICKS_PER_SECOND;
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
