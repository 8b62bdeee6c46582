package io.purekinesis.samples;

import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_CHECKPOINT_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_LOST;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_STOLEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_LEASES_TAKEN;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_RECORDS_PROCESSED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SHARDS_ENDED;
import static io.purekinesis.micrometer.PureKinesisMeters.CONSUMER_SHARDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_BUFFERING_TIME;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_KINESIS_RECORDS_PUT;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_PUT_RECORDS;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_RETRIES;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_FAILED;
import static io.purekinesis.micrometer.PureKinesisMeters.PRODUCER_USER_RECORDS_PUT;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import java.io.PrintStream;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The demo's metrics summary, read from the Micrometer registry the producer and the workers reported to (through
 * {@code purekinesis-micrometer}), not from the demo's own counts: what a dashboard on the same meters would show.
 * Workers are told apart by their {@code worker} tag.
 */
final class MetricsSummary {

    static final String WORKER_TAG = "worker";

    private MetricsSummary() {
    }

    static void print(MeterRegistry registry, List<String> workers, PrintStream out) {
        out.println("---- metrics (from the Micrometer registry) ----");
        out.printf(Locale.ROOT, "producer      %,.0f user records put, %,.0f failed; %,.0f Kinesis records in %s;"
                        + " %,.0f retries; buffering %s%n",
                count(registry.find(PRODUCER_USER_RECORDS_PUT)), count(registry.find(PRODUCER_USER_RECORDS_FAILED)),
                count(registry.find(PRODUCER_KINESIS_RECORDS_PUT)),
                calls(registry.find(PRODUCER_PUT_RECORDS), "PutRecords calls"),
                count(registry.find(PRODUCER_RETRIES)), times(registry.find(PRODUCER_BUFFERING_TIME)));
        for (String worker : workers) {
            out.printf(Locale.ROOT, "%-13s %,.0f records processed; leases taken %.0f, stolen %.0f, lost %.0f;"
                            + " %.0f shards ended; %s%n", worker,
                    count(registry.find(CONSUMER_RECORDS_PROCESSED).tag(WORKER_TAG, worker)),
                    count(registry.find(CONSUMER_LEASES_TAKEN).tag(WORKER_TAG, worker)),
                    count(registry.find(CONSUMER_LEASES_STOLEN).tag(WORKER_TAG, worker)),
                    count(registry.find(CONSUMER_LEASES_LOST).tag(WORKER_TAG, worker)),
                    count(registry.find(CONSUMER_SHARDS_ENDED).tag(WORKER_TAG, worker)),
                    calls(registry.find(CONSUMER_CHECKPOINT_TIME).tag(WORKER_TAG, worker), "checkpoints"));
        }
    }

    /** Shards the worker stopped because its processor kept failing. */
    static long failedShards(MeterRegistry registry, String worker) {
        return (long) count(registry.find(CONSUMER_SHARDS_FAILED).tag(WORKER_TAG, worker));
    }

    private static double count(Search search) {
        return search.counters().stream().mapToDouble(Counter::count).sum();
    }

    /** "N <what> (mean x ms)" over the timers found. */
    private static String calls(Search search, String what) {
        Collection<Timer> timers = search.timers();
        long n = timers.stream().mapToLong(Timer::count).sum();
        return String.format(Locale.ROOT, "%,d %s%s", n, what, n == 0 ? "" : " (" + times(search) + ")");
    }

    private static String times(Search search) {
        Collection<Timer> timers = search.timers();
        long n = timers.stream().mapToLong(Timer::count).sum();
        if (n == 0) {
            return "none";
        }
        // no max: a timer's max covers only its registry's last step or so, not the whole run
        double total = timers.stream().mapToDouble(t -> t.totalTime(TimeUnit.MILLISECONDS)).sum();
        return String.format(Locale.ROOT, "mean %.1f ms", total / n);
    }
}
