package io.purekinesis.benchmarks;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * What KCL fleets of the same size would pay DynamoDB, computed from the measured lease rows by DynamoDB's rounding
 * rules (an eventually consistent read is 0.5 RCU per 4 KB, summed over the items a Scan or Query reads and rounded
 * up per call; a write is 1 WCU per 1 KB of the item, rounded up). The models, stated in the output:
 * <ul>
 *   <li>KCL 3.x: the leader scans the whole lease table every 20 s (leaseAssignmentInterval = 2 x failover,
 *       eventually consistent); each worker queries the keys-only GSI {@code leaseOwner = me} every 20 s (KCL 3.x
 *       itself discovers every 9,975 ms, which doubles that part); renewals: each lease every failover / 3 - 25 ms
 *       = 3,308 ms; one WorkerMetricStats write per worker every 30 s. The leader lock, the coordinator-state rows
 *       and the metrics-table reads by the leader are left out (they make KCL dearer, not cheaper).</li>
 *   <li>KCL 2.x: every worker scans the whole table every 20 s (the taker, eventually consistent); renewals as
 *       above.</li>
 * </ul>
 */
final class FleetCostModel {

    static final double SCAN_INTERVAL_SECONDS = 20;
    static final double QUERY_INTERVAL_SECONDS = 20;
    /** KCL 3.x's own lease discovery interval: leaseAssignmentInterval / 2 - 25 ms. */
    static final double KCL3_DISCOVERY_SECONDS = 9.975;
    static final double RENEW_INTERVAL_SECONDS = 3.308;
    static final double WORKER_METRICS_INTERVAL_SECONDS = 30;
    static final int READ_UNIT_BYTES = 4096;
    static final int WRITE_UNIT_BYTES = 1024;
    /** DynamoDB returns at most 1 MB per Scan or Query page, each rounded up by itself. */
    static final int PAGE_BYTES = 1024 * 1024;

    /** Units per hour of one fleet model. */
    record Cost(double readsPerHour, double writesPerHour) {
    }

    private FleetCostModel() {
    }

    /**
     * @param leases        rows in the table
     * @param workers       workers of the fleet
     * @param itemBytes     average size of a lease row
     * @param keysOnlyBytes average size of a row in the keys-only GSI (leaseKey and leaseOwner with their names)
     */
    static Cost kcl3(int leases, int workers, double itemBytes, double keysOnlyBytes) {
        return kcl3(leases, workers, itemBytes, keysOnlyBytes, QUERY_INTERVAL_SECONDS);
    }

    /** As {@link #kcl3(int, int, double, double)} with the workers' GSI queries every {@code querySeconds}. */
    static Cost kcl3(int leases, int workers, double itemBytes, double keysOnlyBytes, double querySeconds) {
        double scans = 3600 / SCAN_INTERVAL_SECONDS;
        double queries = 3600 / querySeconds;
        double reads = scans * eventuallyConsistentRead(leases * itemBytes)
                + workers * queries * eventuallyConsistentRead((double) leases / workers * keysOnlyBytes);
        double writes = renewals(leases, itemBytes) + workers * 3600 / WORKER_METRICS_INTERVAL_SECONDS;
        return new Cost(reads, writes);
    }

    static Cost kcl2(int leases, int workers, double itemBytes) {
        double scans = 3600 / SCAN_INTERVAL_SECONDS;
        return new Cost(workers * scans * eventuallyConsistentRead(leases * itemBytes), renewals(leases, itemBytes));
    }

    private static double renewals(int leases, double itemBytes) {
        return leases * 3600 / RENEW_INTERVAL_SECONDS * Math.ceil(itemBytes / WRITE_UNIT_BYTES);
    }

    /** RCU of one eventually consistent Scan or Query reading {@code bytes} (in 1 MB pages; at least 0.5). */
    static double eventuallyConsistentRead(double bytes) {
        long fullPages = (long) (bytes / PAGE_BYTES);
        double rest = bytes - (double) fullPages * PAGE_BYTES;
        double units = fullPages * (PAGE_BYTES / READ_UNIT_BYTES) + Math.max(1, Math.ceil(rest / READ_UNIT_BYTES));
        return 0.5 * units;
    }

    /** An item's size as DynamoDB counts it: each attribute's name in UTF-8 plus its value. */
    static long itemBytes(Map<String, AttributeValue> item) {
        long size = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            size += utf8(e.getKey()) + valueBytes(e.getValue());
        }
        return size;
    }

    /**
     * A value's size: strings and binaries their bytes; numbers 1 byte per two significant digits plus 1; booleans
     * and null 1; sets the sum of their elements; lists and maps 3 bytes plus 1 per element plus the elements (and
     * for maps their keys).
     */
    static long valueBytes(AttributeValue v) {
        if (v.s() != null) {
            return utf8(v.s());
        }
        if (v.n() != null) {
            return numberBytes(v.n());
        }
        if (v.b() != null) {
            return v.b().asByteArray().length;
        }
        if (v.bool() != null || Boolean.TRUE.equals(v.nul())) {
            return 1;
        }
        if (v.hasSs()) {
            return v.ss().stream().mapToLong(FleetCostModel::utf8).sum();
        }
        if (v.hasNs()) {
            return v.ns().stream().mapToLong(FleetCostModel::numberBytes).sum();
        }
        if (v.hasBs()) {
            return v.bs().stream().mapToLong(b -> b.asByteArray().length).sum();
        }
        if (v.hasL()) {
            return 3 + v.l().stream().mapToLong(x -> 1 + valueBytes(x)).sum();
        }
        if (v.hasM()) {
            return 3 + v.m().entrySet().stream().mapToLong(x -> 1 + utf8(x.getKey()) + valueBytes(x.getValue()))
                    .sum();
        }
        return 0;
    }

    static long numberBytes(String n) {
        String digits = new BigDecimal(n).stripTrailingZeros().unscaledValue().abs().toString();
        if ("0".equals(digits)) {
            return 2;
        }
        return (digits.length() + 1) / 2 + 1;
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
