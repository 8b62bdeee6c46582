package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.FaultInjector;
import io.purekinesis.testkit.FaultInjector.Fault;
import io.purekinesis.testkit.FaultInjector.When;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;

/**
 * A regression test for a consumer bug the chaos suite found (kinesisEmulatorRestart, and the soak): when a
 * GetShardIterator call failed, {@code ShardFetcher.fetchOnceUnguarded} scheduled the retry twice, once in its
 * {@code whenCompleteAsync} action ({@code failed("GetShardIterator", e)}) and once more in the {@code exceptionally}
 * stage chained after it, which saw the same failure ({@code unexpected("GetShardIterator handling", x)}, an ERROR
 * log). Each failure doubled the shard's task chains; the surplus ones found an iterator and ran further GetRecords
 * loops at the same time, racing on fetch state meant for one task at a time, and the same records were queued,
 * and delivered to one processor instance, twice (seen: 27 and 84 duplicates, same worker, shard, sequence and
 * sub-sequence number, no lease lost). Fixed meanwhile in the shared tree ({@code handleAsync}).
 *
 * <p>One worker, one shard; the first 7 GetShardIterator calls fail with a 503, and records keep coming for a while
 * after reading began. One fetch loop never has two GetRecords calls in flight, reads at most 5 times a second, and
 * delivers nothing twice. With the bug put back: 5 GetRecords at once, 93 calls in 12 s, 123 duplicates.
 */
@ExtendWith(LocalEndpointsExtension.class)
@Timeout(180)
class GetShardIteratorFailureTest {

    @Test
    void aFailedGetShardIteratorIsRetriedOnceAndDeliversNothingTwice(LocalEndpoints endpoints) {
        FaultInjector kinesis = FaultInjector.builder()
                .fail(Fault.SERVICE_UNAVAILABLE, "GetShardIterator", When.firstCalls(7))
                .build();
        AtomicInteger getShardIteratorCalls = new AtomicInteger();
        AtomicInteger getRecordsCalls = new AtomicInteger();
        AtomicInteger getRecordsInFlight = new AtomicInteger();
        AtomicInteger maxGetRecordsInFlight = new AtomicInteger();
        ExecutionInterceptor counter = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof GetShardIteratorRequest) {
                    getShardIteratorCalls.incrementAndGet();
                } else if (context.request() instanceof GetRecordsRequest) {
                    getRecordsCalls.incrementAndGet();
                    maxGetRecordsInFlight.accumulateAndGet(getRecordsInFlight.incrementAndGet(), Math::max);
                }
            }

            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof GetRecordsRequest) {
                    getRecordsInFlight.decrementAndGet();
                }
            }

            @Override
            public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof GetRecordsRequest) {
                    getRecordsInFlight.decrementAndGet();
                }
            }
        };
        try (Workload w = Workload.builder(endpoints).name("gsi-failure").shards(1).kinesisFaults(counter)
                .kinesisFaults(kinesis).build()) {
            long start = System.nanoTime();
            w.startWorker("w1");
            w.startProducer();
            // The retries back off for seconds; keep records coming for a while after reading began.
            assertTrue(Workload.await(() -> w.ledger().deliveryCount() > 0, Duration.ofSeconds(120)));
            long reading = w.added();
            assertTrue(Workload.await(() -> w.added() > reading + 2_000, Duration.ofSeconds(120)));
            Reconciliation r = w.finish(Duration.ofSeconds(120));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println("GetShardIterator calls: " + getShardIteratorCalls.get() + ", injected 503s: "
                    + kinesis.injected(Fault.SERVICE_UNAVAILABLE) + ", GetRecords calls: " + getRecordsCalls.get()
                    + " in " + Math.round(seconds) + " s, at most " + maxGetRecordsInFlight.get() + " at once");
            assertEquals(7, kinesis.injected(Fault.SERVICE_UNAVAILABLE));
            assertEquals(List.of(), r.problems(false, false), r.line());
            // One fetch loop: one GetRecords at a time, at most one per minTimeBetweenReads (200 ms).
            assertEquals(1, maxGetRecordsInFlight.get(), "concurrent GetRecords calls on one shard");
            assertTrue(getRecordsCalls.get() <= seconds * 5 + 5, getRecordsCalls.get() + " GetRecords calls in "
                    + seconds + " s: more than one fetch loop");
        }
    }
}
