package io.purekinesis.benchmarks;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Counts the DynamoDB calls of every client it is installed on, per operation: calls, failures, and the read and
 * write units DynamoDB reports. It asks for them itself ({@code ReturnConsumedCapacity=TOTAL} on every request that
 * takes it and did not ask), so the workers need no change. A conditional write whose condition fails reports no
 * units, but DynamoDB charges it like a write of the item (at least 1 WCU): those are counted as 1 WCU each (lease
 * rows are far below 1 KB) and shown separately as estimated.
 */
final class CapacityMeter implements ExecutionInterceptor {

    /** Totals of one operation. */
    record Totals(long calls, long failed, long conditionFailed, double rcu, double wcu) {

        Totals minus(Totals o) {
            return new Totals(calls - o.calls, failed - o.failed, conditionFailed - o.conditionFailed, rcu - o.rcu,
                    wcu - o.wcu);
        }

        /** Reported write units plus 1 per failed conditional write (DynamoDB charges those). */
        double wcuCharged() {
            return wcu + conditionFailed;
        }
    }

    private static final class Counters {
        final LongAdder calls = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder conditionFailed = new LongAdder();
        final DoubleAdder rcu = new DoubleAdder();
        final DoubleAdder wcu = new DoubleAdder();

        Totals totals() {
            return new Totals(calls.sum(), failed.sum(), conditionFailed.sum(), rcu.sum(), wcu.sum());
        }
    }

    private final Map<String, Counters> byOperation = new ConcurrentHashMap<>();

    /** The totals per operation so far (a snapshot: subtract two for a window). */
    Map<String, Totals> snapshot() {
        Map<String, Totals> m = new TreeMap<>();
        byOperation.forEach((op, c) -> m.put(op, c.totals()));
        return m;
    }

    /** {@code later - earlier}, per operation. */
    static Map<String, Totals> difference(Map<String, Totals> later, Map<String, Totals> earlier) {
        Map<String, Totals> m = new TreeMap<>();
        Totals zero = new Totals(0, 0, 0, 0, 0);
        later.forEach((op, t) -> m.put(op, t.minus(earlier.getOrDefault(op, zero))));
        return m;
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        ReturnConsumedCapacity total = ReturnConsumedCapacity.TOTAL;
        if (r instanceof ScanRequest s && s.returnConsumedCapacity() == null) {
            return s.toBuilder().returnConsumedCapacity(total).build();
        } else if (r instanceof QueryRequest q && q.returnConsumedCapacity() == null) {
            return q.toBuilder().returnConsumedCapacity(total).build();
        } else if (r instanceof GetItemRequest g && g.returnConsumedCapacity() == null) {
            return g.toBuilder().returnConsumedCapacity(total).build();
        } else if (r instanceof PutItemRequest p && p.returnConsumedCapacity() == null) {
            return p.toBuilder().returnConsumedCapacity(total).build();
        } else if (r instanceof UpdateItemRequest u && u.returnConsumedCapacity() == null) {
            return u.toBuilder().returnConsumedCapacity(total).build();
        } else if (r instanceof DeleteItemRequest d && d.returnConsumedCapacity() == null) {
            return d.toBuilder().returnConsumedCapacity(total).build();
        }
        return r;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        Counters c = counters(attributes);
        c.calls.increment();
        for (ConsumedCapacity cc : consumed(context.response())) {
            if (cc.readCapacityUnits() != null || cc.writeCapacityUnits() != null) {
                c.rcu.add(cc.readCapacityUnits() == null ? 0 : cc.readCapacityUnits());
                c.wcu.add(cc.writeCapacityUnits() == null ? 0 : cc.writeCapacityUnits());
            } else if (cc.capacityUnits() != null) {
                // TOTAL without the split: reads and writes are told apart by the operation
                if (isWrite(attributes)) {
                    c.wcu.add(cc.capacityUnits());
                } else {
                    c.rcu.add(cc.capacityUnits());
                }
            }
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        Counters c = counters(attributes);
        c.calls.increment();
        c.failed.increment();
        if (context.exception() instanceof ConditionalCheckFailedException) {
            c.conditionFailed.increment();
        }
    }

    private Counters counters(ExecutionAttributes attributes) {
        String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        return byOperation.computeIfAbsent(op == null ? "?" : op, k -> new Counters());
    }

    private static boolean isWrite(ExecutionAttributes attributes) {
        String op = String.valueOf(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        return op.startsWith("Put") || op.startsWith("Update") || op.startsWith("Delete") || op.startsWith("Batch"
                + "Write") || op.startsWith("TransactWrite");
    }

    /** The ConsumedCapacity the response carries: one, a list (batch, transaction), or none. */
    private static List<ConsumedCapacity> consumed(SdkResponse response) {
        Object v = response.getValueForField("ConsumedCapacity", Object.class).orElse(null);
        if (v instanceof ConsumedCapacity one) {
            return List.of(one);
        }
        if (v instanceof List<?> list) {
            return list.stream().filter(ConsumedCapacity.class::isInstance).map(ConsumedCapacity.class::cast)
                    .toList();
        }
        return List.of();
    }
}
