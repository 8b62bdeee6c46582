package io.purekinesis.benchmarks;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.AggregateEncoder;
import io.purekinesis.aggregation.DecodedRecord;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * CPU time of {@link AggregateDecoder#decode} (digest check, protobuf parse, one copy of each user record's data)
 * per user record, on three shapes of aggregate, in one thread. Thread CPU time rather than wall time, so other
 * processes on a shared machine disturb it less. Arguments: seconds per round (default 2); five rounds per shape,
 * after one second of warm-up; prints min, median and max.
 */
public final class DecodeBenchmark {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static long sink;

    private DecodeBenchmark() {
    }

    public static void main(String[] args) {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        run("480 x 100 B, 1000 keys (51 KB)", aggregates(480, 100, 1_000, false), seconds);
        run("2000 x 10 B, a key each (~60 KB)", aggregates(2_000, 10, Integer.MAX_VALUE, false), seconds);
        run("40 x 1000 B, 10 keys, ehk on each", aggregates(40, 1_000, 10, true), seconds);
        System.out.println("(checksum " + sink + ")");
    }

    /** 20 different aggregates of this shape, so the loop does not decode one array that sits in L1. */
    private static byte[][] aggregates(int records, int size, int keys, boolean explicitHashKeys) {
        Random random = new Random(42);
        byte[][] out = new byte[20][];
        long key = 0;
        for (int v = 0; v < out.length; v++) {
            AggregateEncoder encoder = new AggregateEncoder();
            for (int i = 0; i < records; i++) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                String ehk = explicitHashKeys ? Long.toString(random.nextLong() & Long.MAX_VALUE) : null;
                encoder.add("partition-key-" + (key++ % keys), ehk, data);
            }
            out[v] = encoder.toByteArray();
        }
        return out;
    }

    private static void run(String name, byte[][] aggregates, int seconds) {
        round(aggregates, 1);
        double[] rounds = new double[5];
        for (int r = 0; r < rounds.length; r++) {
            rounds[r] = round(aggregates, seconds);
        }
        Arrays.sort(rounds);
        System.out.printf("%-36s CPU ns per user record: min %7.1f  median %7.1f  max %7.1f%n", name, rounds[0],
                rounds[2], rounds[4]);
    }

    /** CPU nanoseconds per user record over one round. */
    private static double round(byte[][] aggregates, int seconds) {
        long userRecords = 0;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long cpuStart = CPU.getCurrentThreadCpuTime();
        while (System.nanoTime() < end) {
            for (byte[] aggregate : aggregates) {
                List<DecodedRecord> records = AggregateDecoder.decode(aggregate, "a", null);
                sink += records.get(records.size() - 1).data().length;
                userRecords += records.size();
            }
        }
        return (CPU.getCurrentThreadCpuTime() - cpuStart) / (double) userRecords;
    }
}
