package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ConsumerMetrics;
import io.purekinesis.consumer.LeaseTableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the consumer does with lease rows it cannot use. At start: refuse ({@link #refuseIfAny}), listing each row
 * with its repair, before anything is written. While running: report each row at ERROR when its problem first
 * appears or changes, count it in {@link ConsumerMetrics#unusableLeaseRow}, and leave the row alone (not taken, not
 * re-created, still gating its children); say at INFO when it becomes usable again or goes away.
 */
public final class UnusableRows {

    private static final Logger log = LoggerFactory.getLogger(UnusableRows.class);
    /** Rows listed in the exception's message; {@link LeaseTableException#problems()} has them all. */
    static final int LISTED_IN_MESSAGE = 20;

    private final String tableName;
    private final ConsumerMetrics metrics;
    private final Map<String, String> reported = new HashMap<>(); // key -> problem as last reported

    public UnusableRows(String tableName, ConsumerMetrics metrics) {
        this.tableName = tableName;
        this.metrics = metrics;
    }

    /** @throws LeaseTableException naming the table, every row, and the repairs, when the scan found any */
    /** @param streams "stream NAME", or the streams of a multi-stream consumer, for the message */
    public static void refuseIfAny(String tableName, String streams, LeaseScan scan) {
        List<RowProblem> problems = scan.problems();
        if (problems.isEmpty()) {
            return;
        }
        StringBuilder m = new StringBuilder("lease table ").append(tableName).append(" has ").append(problems.size())
                .append(problems.size() == 1 ? " row" : " rows").append(" that the consumer of ")
                .append(streams).append(" cannot use, so it does not start (nothing was written):");
        for (RowProblem p : problems.subList(0, Math.min(LISTED_IN_MESSAGE, problems.size()))) {
            m.append("\n  - ").append(p.describe());
        }
        if (problems.size() > LISTED_IN_MESSAGE) {
            m.append("\n  ... and ").append(problems.size() - LISTED_IN_MESSAGE)
                    .append(" more (LeaseTableException.problems() lists all)");
        }
        throw new LeaseTableException(tableName, m.toString(),
                problems.stream().map(RowProblem::describe).toList());
    }

    /** Reports what changed since the last scan; call from one thread (the lease scan). */
    public void report(List<RowProblem> problems) {
        Map<String, String> now = new HashMap<>();
        for (RowProblem p : problems) {
            String described = p.describe();
            now.put(p.leaseKey(), described);
            if (!described.equals(reported.get(p.leaseKey()))) {
                log.error("Lease table {}: {}. The row is left alone: its shard is not processed by this worker "
                        + "until it is repaired", tableName, described);
                metrics.unusableLeaseRow(p.leaseKey(), described);
            }
        }
        for (String key : reported.keySet()) {
            if (!now.containsKey(key)) {
                log.info("Lease table {}: row {} is usable again (or gone)", tableName, key);
            }
        }
        reported.clear();
        reported.putAll(now);
    }
}
