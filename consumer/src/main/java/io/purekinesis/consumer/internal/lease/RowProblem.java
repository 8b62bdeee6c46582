package io.purekinesis.consumer.internal.lease;

/**
 * A lease-table row this consumer cannot use: a shard lease it cannot read, or one of another stream. It is reported
 * (start refused, or an ERROR while running) and left alone, never skipped silently.
 *
 * @param leaseKey  the row's key
 * @param attribute the attribute at fault
 * @param value     its value as stored ({@code (missing)} when absent)
 * @param problem   what is wrong with it
 * @param repair    how to repair it
 */
public record RowProblem(String leaseKey, String attribute, String value, String problem, String repair) {

    static final String MISSING = "(missing)";

    /** One line: key, attribute, value, problem and repair. */
    public String describe() {
        return "row " + leaseKey + ": attribute " + attribute + " = " + value + ": " + problem + ". Repair: " + repair;
    }

    @Override
    public String toString() {
        return describe();
    }
}
