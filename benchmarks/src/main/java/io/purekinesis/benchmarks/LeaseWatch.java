package io.purekinesis.benchmarks;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the fleet's processors show: which worker initialized each lease last and when. A lease initialized on
 * another worker than the one before is a lease move; a dead worker's leases are taken over once each has been
 * initialized again elsewhere after the kill.
 */
final class LeaseWatch implements FleetWorker.Listener {

    private record Start(String worker, long nanos) {
    }

    private final Map<String, Start> last = new HashMap<>(); // guarded by this
    private long initializations; // guarded by this
    private long moves; // guarded by this

    @Override
    public synchronized void initialized(FleetWorker worker, String lease) {
        Start previous = last.put(lease, new Start(worker.id(), System.nanoTime()));
        initializations++;
        if (previous != null && !previous.worker().equals(worker.id())) {
            moves++;
        }
    }

    synchronized long initializations() {
        return initializations;
    }

    synchronized long moves() {
        return moves;
    }

    /**
     * The time from {@code sinceNanos} until the last of {@code leases} was initialized by another worker than
     * {@code dead}, in ms; -1 while some are not yet.
     */
    synchronized long takenOverMillis(Collection<String> leases, String dead, long sinceNanos) {
        long latest = sinceNanos;
        for (String lease : leases) {
            Start s = last.get(lease);
            if (s == null || s.worker().equals(dead) || s.nanos() < sinceNanos) {
                return -1;
            }
            latest = Math.max(latest, s.nanos());
        }
        return (latest - sinceNanos) / 1_000_000;
    }

    /** Leases held and whether they are balanced, from the workers' own view. */
    record Balance(int held, int distinct, int min, int max, boolean owned, boolean fair) {

        static Balance of(List<Set<String>> heldByWorker, int leases) {
            int sum = 0;
            int min = Integer.MAX_VALUE;
            int max = 0;
            java.util.HashSet<String> all = new java.util.HashSet<>();
            for (Set<String> held : heldByWorker) {
                sum += held.size();
                min = Math.min(min, held.size());
                max = Math.max(max, held.size());
                all.addAll(held);
            }
            boolean owned = sum == leases && all.size() == leases;
            double share = (double) leases / heldByWorker.size();
            boolean fair = owned && min >= share - 1 && max <= share + 1;
            return new Balance(sum, all.size(), min, max, owned, fair);
        }

        @Override
        public String toString() {
            return "held " + held + " (" + distinct + " distinct), per worker " + min + ".." + max;
        }
    }
}
