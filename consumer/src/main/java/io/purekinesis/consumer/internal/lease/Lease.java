package io.purekinesis.consumer.internal.lease;

import io.purekinesis.consumer.ExtendedSequenceNumber;
import java.util.Set;

/**
 * A snapshot of one shard lease row, as read from or written to the lease table.
 *
 * @param leaseKey          the shard id
 * @param leaseOwner        the worker holding it, null when unowned
 * @param leaseCounter      bumped by every renewal and owner change
 * @param checkpoint        processed up to and including this position (or a sentinel)
 * @param ownerSwitchesSinceCheckpoint owner changes since the last checkpoint
 * @param parentShardIds    parents whose SHARD_END gates this lease
 * @param childShardIds     written at shard end
 * @param startingHashKey   shard's hash range start (decimal), null if the row has none
 * @param endingHashKey     shard's hash range end (decimal), null if the row has none
 * @param checkpointOwner   during a graceful handoff (KCL 3.x): the previous owner still allowed to checkpoint
 */
public record Lease(String leaseKey, String leaseOwner, long leaseCounter, ExtendedSequenceNumber checkpoint,
        long ownerSwitchesSinceCheckpoint, Set<String> parentShardIds, Set<String> childShardIds,
        String startingHashKey, String endingHashKey, String checkpointOwner) {

    public Lease {
        parentShardIds = parentShardIds == null ? Set.of() : Set.copyOf(parentShardIds);
        childShardIds = childShardIds == null ? Set.of() : Set.copyOf(childShardIds);
    }

    public boolean isOwned() {
        return leaseOwner != null;
    }

    public boolean isOwnedBy(String workerId) {
        return workerId.equals(leaseOwner);
    }

    /** The shard was processed to its end; the lease only gates its children now. */
    public boolean isCompleted() {
        return ExtendedSequenceNumber.SHARD_END.equals(checkpoint);
    }

    /** A previous owner is finishing a graceful handoff. */
    public boolean isHandoffPending() {
        return checkpointOwner != null;
    }
}
