package io.purekinesis.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time and peak RSS of a process and its descendants from {@code /proc} (Linux): KPL's work is split between
 * its JVM and a native daemon child, and both count.
 */
final class ProcTree {

    /** Clock ticks per second of {@code /proc/<pid>/stat}: USER_HZ, 100 on every Linux this runs on. */
    private static final long TICK_NANOS = 10_000_000L;

    private ProcTree() {
    }

    /** One process: its id, name ({@code comm}), CPU time so far (user + system) and VmHWM; -1 where unreadable. */
    record Proc(long pid, String name, long cpuNanos, long peakRssBytes) {
    }

    /** The process and its live descendants, the process first. */
    static List<Proc> read(long pid) {
        List<Proc> all = new ArrayList<>();
        all.add(readOne(pid));
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> all.add(readOne(d.pid()))));
        return all;
    }

    /** Total CPU time of a tree as {@link #read} returned it. */
    static long cpuNanos(List<Proc> tree) {
        long sum = 0;
        for (Proc p : tree) {
            sum += Math.max(0, p.cpuNanos());
        }
        return sum;
    }

    static Proc readOne(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid));
        String name = "?";
        long cpu = -1;
        long hwm = -1;
        try {
            name = Files.readString(dir.resolve("comm")).trim();
            String stat = Files.readString(dir.resolve("stat"));
            // Fields after the command (which may hold spaces) start after the last ')': state is field 3, so
            // utime (14) and stime (15) are at offsets 11 and 12 from there.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS;
            for (String line : Files.readAllLines(dir.resolve("status"))) {
                if (line.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not Linux: leave -1
        }
        return new Proc(pid, name, cpu, hwm);
    }
}
