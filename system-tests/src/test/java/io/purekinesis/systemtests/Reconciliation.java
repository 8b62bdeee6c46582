package io.purekinesis.systemtests;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of a {@link Ledger#reconcile()}: counts, and samples (at most 20) of whatever is wrong.
 *
 * <ul>
 *   <li>{@code added}: records passed to {@code add}; each must end {@code acknowledged} (future completed with a
 *       shard and sequence number) or {@code failed} (future failed), never {@code unresolved};</li>
 *   <li>{@code deadLettered}: records given to the dead-letter handler, by {@code reason/lastErrorCode}; exactly the
 *       failed ones ({@code deadLetterMismatches} otherwise);</li>
 *   <li>{@code deliveries}: deliveries to processors; {@code processed}: distinct records among them;
 *       {@code duplicates}: the rest (a record delivered again, e.g. after a worker died before checkpointing), with
 *       a sample naming both deliveries' worker, shard and sequence/sub-sequence number;</li>
 *   <li>{@code missing}: acknowledged but never delivered (loss); {@code unknown}: delivered but never added;
 *       {@code deadLetteredButDelivered}: reported not stored, yet stored;</li>
 *   <li>{@code orderViolations}: a key's record delivered for the first time after a later record of that key.</li>
 * </ul>
 */
public record Reconciliation(
        long added,
        long acknowledged,
        long failed,
        long deadLettered,
        Map<String, Long> deadLetterCauses,
        long deliveries,
        long processed,
        long duplicates,
        List<String> duplicateSample,
        List<Ledger.Id> missingSample,
        long missing,
        List<String> orderViolations,
        List<Ledger.Id> unknownSample,
        long unknown,
        List<Ledger.Id> deadLetteredButDeliveredSample,
        long deadLetteredButDelivered,
        List<Ledger.Id> unresolvedSample,
        long unresolved,
        List<String> deadLetterMismatches,
        long unparsable,
        Map<String, Long> deliveriesPerWorker) {

    /** One line of counts, e.g. for the test output. */
    public String line() {
        return String.format(Locale.ROOT, "added=%d acknowledged=%d failed=%d deadLettered=%d%s processed=%d"
                        + " deliveries=%d duplicates=%d missing=%d orderViolations=%d unknown=%d"
                        + " deadLetteredButDelivered=%d unresolved=%d deadLetterMismatches=%d perWorker=%s",
                added, acknowledged, failed, deadLettered, deadLetterCauses.isEmpty() ? "" : deadLetterCauses.toString(),
                processed, deliveries, duplicates, missing, orderViolations.size(), unknown, deadLetteredButDelivered,
                unresolved, deadLetterMismatches.size(), deliveriesPerWorker);
    }

    /**
     * What is wrong, one entry per broken promise; empty when the run kept every promise. Duplicates are a problem
     * only when {@code duplicatesAllowed} is false (no worker crashed or lost a lease); dead letters only when
     * {@code deadLettersAllowed} is false (no fault lasted beyond the records' time to live).
     */
    public List<String> problems(boolean duplicatesAllowed, boolean deadLettersAllowed) {
        List<String> problems = new ArrayList<>();
        if (added == 0 || processed == 0) {
            problems.add("nothing was produced or processed: added=" + added + ", processed=" + processed);
        }
        if (missing > 0) {
            problems.add(missing + " acknowledged records never processed, e.g. " + missingSample);
        }
        if (!orderViolations.isEmpty()) {
            problems.add(orderViolations.size() + " per-key order violations, e.g. "
                    + orderViolations.subList(0, Math.min(5, orderViolations.size())));
        }
        if (unknown > 0) {
            problems.add(unknown + " records processed that were never added, e.g. " + unknownSample);
        }
        if (deadLetteredButDelivered > 0) {
            problems.add(deadLetteredButDelivered + " records dead-lettered (reported not stored) but processed,"
                    + " e.g. " + deadLetteredButDeliveredSample);
        }
        if (unresolved > 0) {
            problems.add(unresolved + " records whose future never completed, e.g. " + unresolvedSample);
        }
        if (!deadLetterMismatches.isEmpty()) {
            problems.add("failed futures and dead letters differ: "
                    + deadLetterMismatches.subList(0, Math.min(5, deadLetterMismatches.size())));
        }
        if (unparsable > 0) {
            problems.add(unparsable + " records without a workload payload");
        }
        if (!duplicatesAllowed && duplicates > 0) {
            problems.add(duplicates + " duplicate deliveries although no worker crashed or lost a lease, e.g. "
                    + duplicateSample);
        }
        if (!deadLettersAllowed && deadLettered > 0) {
            problems.add(deadLettered + " records dead-lettered without a cause that lasts beyond their TTL: "
                    + deadLetterCauses);
        }
        return problems;
    }
}
