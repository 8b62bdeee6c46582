package io.purekinesis.consumer;

import java.util.List;

/**
 * {@link KinesisConsumer#start()} refused a lease table this consumer cannot use: its key schema is not KCL's, or it
 * holds rows the consumer cannot read, or rows of another stream. The message names the table, each row (key,
 * attribute, value) and its repair; {@link #problems()} lists them all. Nothing was written to the table.
 */
public class LeaseTableException extends KinesisConsumerException {

    private static final long serialVersionUID = 1L;

    /** The lease table's name. */
    private final String tableName;
    /** One line per problem. */
    private final List<String> problems;

    /** Thrown by {@code start()}; {@code problems} is copied. */
    public LeaseTableException(String tableName, String message, List<String> problems) {
        super(message);
        this.tableName = tableName;
        this.problems = List.copyOf(problems);
    }

    /** The lease table's name. */
    public String tableName() {
        return tableName;
    }

    /** One line per problem: the row or the schema, what is wrong, and the repair. */
    public List<String> problems() {
        return problems;
    }
}
