package io.purekinesis.consumer.internal.lease;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The fleet's worker rows ({@link WorkerTable}); an interface so unit tests can run the fleet in memory. */
public interface Workers {

    /**
     * Writes the worker's heartbeat (creating its row if missing) and returns the row as written: a new
     * assignVersion or an evictedAt there is how the worker learns about them, at no read cost.
     */
    default CompletableFuture<WorkerRow> heartbeat(String workerId, long wallMillis, int leaseCount,
            boolean leaving) {
        return heartbeat(workerId, wallMillis, leaseCount, leaving, Set.of());
    }

    /** A heartbeat that also takes {@code handoffsDone} out of the row's handoffs (the worker dealt with them). */
    CompletableFuture<WorkerRow> heartbeat(String workerId, long wallMillis, int leaseCount, boolean leaving,
            Set<String> handoffsDone);

    /** The evicted worker is back: clears evictedAt if it is still {@code evictedAt}. */
    CompletableFuture<Boolean> rejoin(String workerId, long evictedAt);

    /** Every row of the fleet, eventually consistent. */
    CompletableFuture<List<WorkerRow>> all();

    /** One row, read consistently. */
    CompletableFuture<Optional<WorkerRow>> get(String workerId);

    /** Declares the worker dead unless it beat since {@code seenBeats} (or was evicted already); true if this won. */
    CompletableFuture<Boolean> evict(String workerId, long seenBeats, long wallMillis);

    /** Leases were assigned to (positive) or taken from (negative) the worker: bumps its assignVersion. */
    CompletableFuture<Boolean> assigned(String workerId, int leaseDelta);

    /**
     * Handoffs of {@code leaseKeys} from the worker were started: adds them to its row's handoffs (its heartbeat
     * shows them, whether or not it holds them yet), takes them off its count and bumps its assignVersion.
     */
    CompletableFuture<Boolean> handedOff(String workerId, Set<String> leaseKeys);

    /** The evicted worker's leases all went elsewhere. */
    CompletableFuture<Boolean> drained(String workerId, long evictedAt);

    /** The worker left the fleet. */
    CompletableFuture<Boolean> delete(String workerId);

    /** Removes a long-dead worker's row, unless it rejoined. */
    CompletableFuture<Boolean> deleteEvicted(String workerId, long evictedAt);
}
