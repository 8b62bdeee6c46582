package io.purekinesis.consumer.internal.lease;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One read of the whole lease table: the shard leases this consumer may use, and the rows it may not (each with its
 * problem). Rows of KCL's other entity types (leader lock, worker metrics, migration state) are in neither. In
 * multi-stream mode, the keys of rows of streams not read now ({@code untrackedKeys}: removed, or never added) and of
 * former streams ({@code formerKeys}: a stream of that name read now was created again) are listed apart: left
 * alone, not problems.
 */
public record LeaseScan(List<Lease> leases, List<RowProblem> problems, List<String> untrackedKeys,
        List<String> formerKeys) {

    public LeaseScan {
        leases = List.copyOf(leases);
        problems = List.copyOf(problems);
        untrackedKeys = List.copyOf(untrackedKeys);
        formerKeys = List.copyOf(formerKeys);
    }

    /** Single-stream mode: every row is a lease or a problem. */
    public LeaseScan(List<Lease> leases, List<RowProblem> problems) {
        this(leases, problems, List.of(), List.of());
    }

    /** Keys of rows that exist but cannot be used: they still gate their children and are never re-created. */
    public Set<String> unusableKeys() {
        return problems.stream().map(RowProblem::leaseKey).collect(Collectors.toUnmodifiableSet());
    }

    /** True when the table holds no row at all that concerns this consumer. */
    public boolean isEmpty() {
        return leases.isEmpty() && problems.isEmpty();
    }
}
