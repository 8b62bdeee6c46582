package io.purekinesis.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.FaultInjector;
import io.purekinesis.testkit.FaultInjector.Fault;
import io.purekinesis.testkit.FaultInjector.When;
import io.purekinesis.testkit.JvmProcess;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * The chaos suite: a producer and two or three workers on the local endpoints under one fault class per test (and
 * one mix), each ending with a reconciliation of everything produced against everything processed (see
 * {@link Reconciliation}): nothing acknowledged is lost, nothing is dead-lettered, each key's records are processed
 * in order, and duplicates appear only where a worker crashed or lost a lease. Each test prints its reconciliation
 * line and the injector's counters, and asserts that the faults really happened.
 *
 * <p>Sizes are small (a few thousand records of 120 bytes, 4 shards) so the suite stays within a few minutes on a
 * busy 2-core machine; every wait is for a condition, with generous deadlines.
 */
@ExtendWith(LocalEndpointsExtension.class)
@Timeout(240)
class ChaosSuiteTest {

    private static final Duration PROCESSING_DEADLINE = Duration.ofSeconds(150);
    private static final int RECORDS = 1_600;

    @Test
    void perRecordPutRecordsFailures(LocalEndpoints endpoints) {
        FaultInjector kinesis = FaultInjector.builder().seed(1)
                .failRecords(Fault.RECORD_THROTTLED, 0.5, When.rate(0.5))
                .failRecords(Fault.RECORD_INTERNAL_FAILURE, 0.3, When.rate(0.6))
                .build();
        Reconciliation r = runSimple(endpoints, "per-record", kinesis, null, 2,
                () -> injectedAll(kinesis, Fault.RECORD_THROTTLED, Fault.RECORD_INTERNAL_FAILURE));
        assertClean(r, false);
        assertInjected(kinesis, Fault.RECORD_THROTTLED, Fault.RECORD_INTERNAL_FAILURE);
    }

    @Test
    void wholeCallThrottlingAnd5xx(LocalEndpoints endpoints) {
        FaultInjector.Builder kinesis = FaultInjector.builder().seed(2)
                .fail(Fault.THROTTLING, "PutRecords", When.rate(0.2))
                .fail(Fault.THROTTLING, "GetRecords", When.rate(0.1));
        onEveryCall(kinesis, Fault.INTERNAL_FAILURE, 0.05);
        onEveryCall(kinesis, Fault.SERVICE_UNAVAILABLE, 0.05);
        FaultInjector faults = kinesis.build();
        Reconciliation r = runSimple(endpoints, "throttle-5xx", faults, null, 2,
                () -> injectedAll(faults, Fault.THROTTLING, Fault.INTERNAL_FAILURE, Fault.SERVICE_UNAVAILABLE));
        assertClean(r, false);
        assertInjected(faults, Fault.THROTTLING, Fault.INTERNAL_FAILURE, Fault.SERVICE_UNAVAILABLE);
    }

    @Test
    void latencyAndTimeouts(LocalEndpoints endpoints) {
        FaultInjector.Builder faults = FaultInjector.builder().seed(3)
                .delay(FaultInjector.ANY_OPERATION, Duration.ofMillis(200), When.rate(0.3));
        onEveryCall(faults, Fault.TIMEOUT, 0.05);
        FaultInjector kinesis = faults.build();
        FaultInjector dynamoDb = FaultInjector.builder().seed(33)
                .delay(FaultInjector.ANY_OPERATION, Duration.ofMillis(100), When.rate(0.2))
                .build();
        Reconciliation r = runSimple(endpoints, "latency-timeout", kinesis, dynamoDb, 2,
                () -> injectedAll(kinesis, Fault.LATENCY, Fault.TIMEOUT) && injectedAll(dynamoDb, Fault.LATENCY));
        assertClean(r, false);
        assertInjected(kinesis, Fault.LATENCY, Fault.TIMEOUT);
        assertInjected(dynamoDb, Fault.LATENCY);
    }

    @Test
    void connectionResets(LocalEndpoints endpoints) {
        FaultInjector.Builder faults = FaultInjector.builder().seed(4);
        onEveryCall(faults, Fault.CONNECTION_RESET, 0.1);
        FaultInjector kinesis = faults.build();
        FaultInjector dynamoDb = FaultInjector.builder().seed(44)
                .fail(Fault.CONNECTION_RESET, FaultInjector.ANY_OPERATION, When.rate(0.03))
                .build();
        Reconciliation r = runSimple(endpoints, "resets", kinesis, dynamoDb, 2,
                () -> injectedAll(kinesis, Fault.CONNECTION_RESET) && injectedAll(dynamoDb, Fault.CONNECTION_RESET));
        assertClean(r, false);
        assertInjected(kinesis, Fault.CONNECTION_RESET);
        assertInjected(dynamoDb, Fault.CONNECTION_RESET);
    }

    @Test
    void expiredIterators(LocalEndpoints endpoints) {
        FaultInjector kinesis = FaultInjector.builder().seed(5)
                .fail(Fault.EXPIRED_ITERATOR, "GetRecords", When.rate(0.2))
                .build();
        Reconciliation r = runSimple(endpoints, "expired-iterator", kinesis, null, 2,
                () -> injectedAll(kinesis, Fault.EXPIRED_ITERATOR));
        assertClean(r, false);
        assertInjected(kinesis, Fault.EXPIRED_ITERATOR);
    }

    /**
     * Throttled and lost conditional writes on the lease table. A conditional-check failure is a lost race: on a
     * renewal or checkpoint the worker must assume another took the lease, so records after its last checkpoint
     * may be processed again. Duplicates are allowed here, and counted.
     */
    @Test
    void dynamoDbThrottlingAndConditionalCheckFailures(LocalEndpoints endpoints) {
        FaultInjector dynamoDb = FaultInjector.builder().seed(6)
                .fail(Fault.THROTTLING, FaultInjector.ANY_OPERATION, When.rate(0.1))
                .fail(Fault.CONDITIONAL_CHECK_FAILED, "UpdateItem", When.rate(0.03))
                .build();
        Reconciliation r = runSimple(endpoints, "ddb-throttle-ccf", null, dynamoDb, 3,
                () -> injectedAll(dynamoDb, Fault.THROTTLING, Fault.CONDITIONAL_CHECK_FAILED));
        assertClean(r, true);
        assertInjected(dynamoDb, Fault.THROTTLING, Fault.CONDITIONAL_CHECK_FAILED);
    }

    /** A worker in a child JVM is killed with SIGKILL while records flow; the survivor takes over its shards. */
    @Test
    void workerKilledWithSigkill(LocalEndpoints endpoints) {
        try (Workload w = Workload.builder(endpoints).name("sigkill").rate(300).build()) {
            JvmProcess victim = w.startChildWorker("victim");
            w.startProducer();
            assertTrue(Workload.await(() -> delivered(w, "victim") > 100, PROCESSING_DEADLINE),
                    "the victim processes records");
            w.startWorker("survivor");
            assertTrue(Workload.await(() -> !w.heldLeases("survivor").isEmpty(), PROCESSING_DEADLINE),
                    "the survivor takes some leases");
            long before = delivered(w, "victim");
            assertTrue(Workload.await(() -> delivered(w, "victim") > before, PROCESSING_DEADLINE),
                    "the victim is still processing when it is killed");
            w.killChildWorker("victim");
            assertEquals(137, victim.exitCode().orElseThrow(), "killed by SIGKILL");
            long afterKill = w.added();
            assertTrue(Workload.await(() -> w.added() > afterKill + 600, PROCESSING_DEADLINE));
            assertTrue(Workload.await(() -> w.heldLeases("survivor").size() == 4, PROCESSING_DEADLINE),
                    "the survivor takes the victim's leases after the failover time");
            Reconciliation r = w.finish(PROCESSING_DEADLINE);
            System.out.println("FAULTS sigkill: victim pid " + victim.pid() + " killed with SIGKILL, exit code "
                    + victim.exitCode().orElseThrow() + "; victim log " + victim.logFile());
            assertClean(r, true);
            assertTrue(r.deliveriesPerWorker().getOrDefault("victim", 0L) > 0);
            assertTrue(r.deliveriesPerWorker().getOrDefault("survivor", 0L) > 0);
        }
    }

    /**
     * The Kinesis emulator stops and restarts with its data persisted, while the producer and two workers run.
     * Calls are held off (503) around the stop: the emulator saves every persist interval, so a write acknowledged
     * after its last save would be lost by the emulator, not by us. The stop waits until the gate refuses calls and
     * every call sent before it closed has its answer ({@link InFlightCalls}), then keeps what was acknowledged
     * ({@code LocalKinesis.stop} waits for saves after it begins). While it is down, calls meet refused connections.
     */
    @Test
    void kinesisEmulatorRestart(@TempDir Path dir) {
        try (LocalEndpoints own = LocalEndpoints.builder()
                .kinesis(k -> k.persistData(true).dataDir(dir.resolve("kinesis")))
                .start()) {
            FaultInjector gate = FaultInjector.builder()
                    .fail(Fault.SERVICE_UNAVAILABLE, FaultInjector.ANY_OPERATION, When.always())
                    .build();
            gate.enabled(false);
            InFlightCalls inFlight = new InFlightCalls();
            try (Workload w = Workload.builder(own).name("kinesis-restart").kinesisFaults(gate).kinesisFaults(inFlight)
                    .build()) {
                w.startWorker("w1");
                w.startWorker("w2");
                w.startProducer();
                assertTrue(Workload.await(() -> w.ledger().deliveryCount() > 300, PROCESSING_DEADLINE));
                gate.enabled(true);
                assertTrue(Workload.await(() -> gate.injected(Fault.SERVICE_UNAVAILABLE) > 0 && inFlight.count() == 0,
                        PROCESSING_DEADLINE), "calls sent before the gate closed still unanswered: " + inFlight.count());
                own.kinesis().stop();
                gate.enabled(false);
                sleep(Duration.ofSeconds(2)); // the outage's length only: nothing is asserted about it
                own.kinesis().restart();
                long afterRestart = w.added();
                assertTrue(Workload.await(() -> w.added() > afterRestart + 800, PROCESSING_DEADLINE));
                Reconciliation r = w.finish(PROCESSING_DEADLINE);
                printFaults("kinesis-restart", gate);
                assertClean(r, false);
                assertInjected(gate, Fault.SERVICE_UNAVAILABLE);
            }
        }
    }

    /**
     * DynamoDB Local (file-backed, so the lease table survives) stops for a few seconds and restarts while the
     * producer and two workers run. The outage is longer than the failover time, so workers may drop their leases
     * and take them again from the last checkpoint: duplicates are allowed, and counted.
     */
    @Test
    void dynamoDbLocalRestart(@TempDir Path dir) {
        try (LocalEndpoints own = LocalEndpoints.builder()
                .dynamoDb(d -> d.dbPath(dir.resolve("dynamodb")))
                .start()) {
            try (Workload w = Workload.builder(own).name("ddb-restart").build()) {
                w.startWorker("w1");
                w.startWorker("w2");
                w.startProducer();
                assertTrue(Workload.await(() -> w.ledger().deliveryCount() > 300, PROCESSING_DEADLINE));
                own.dynamoDb().stop();
                sleep(Duration.ofSeconds(3)); // the outage's length only: nothing is asserted about it
                own.dynamoDb().restart();
                long afterRestart = w.added();
                assertTrue(Workload.await(() -> w.added() > afterRestart + 800, PROCESSING_DEADLINE));
                Reconciliation r = w.finish(PROCESSING_DEADLINE);
                System.out.println("FAULTS ddb-restart: DynamoDB Local stopped for 3 s and restarted from "
                        + own.dynamoDb().dbPath().orElseThrow());
                assertClean(r, true);
            }
        }
    }

    /** Most Kinesis faults at once, DynamoDB throttling, and workers leaving and joining gracefully. */
    @Test
    void mixedFaults(LocalEndpoints endpoints) {
        FaultInjector.Builder faults = FaultInjector.builder().seed(8)
                // 0.5 of the entries: aggregated calls carry one or two, and round(0.2 * 1) would fail none
                .failRecords(Fault.RECORD_THROTTLED, 0.5, When.rate(0.2))
                .failRecords(Fault.RECORD_INTERNAL_FAILURE, 0.5, When.rate(0.2))
                .fail(Fault.THROTTLING, "PutRecords", When.rate(0.05))
                .fail(Fault.EXPIRED_ITERATOR, "GetRecords", When.rate(0.05))
                .delay(FaultInjector.ANY_OPERATION, Duration.ofMillis(100), When.rate(0.1));
        onEveryCall(faults, Fault.SERVICE_UNAVAILABLE, 0.03);
        onEveryCall(faults, Fault.INTERNAL_FAILURE, 0.02);
        onEveryCall(faults, Fault.CONNECTION_RESET, 0.03);
        onEveryCall(faults, Fault.TIMEOUT, 0.02);
        FaultInjector kinesis = faults.build();
        FaultInjector dynamoDb = FaultInjector.builder().seed(88)
                .fail(Fault.THROTTLING, FaultInjector.ANY_OPERATION, When.rate(0.05))
                .fail(Fault.SERVICE_UNAVAILABLE, FaultInjector.ANY_OPERATION, When.rate(0.02))
                .build();
        try (Workload w = Workload.builder(endpoints).name("mixed").kinesisFaults(kinesis).dynamoDbFaults(dynamoDb)
                .build()) {
            w.startWorker("w1");
            w.startWorker("w2");
            w.startProducer();
            assertTrue(Workload.await(() -> w.ledger().deliveryCount() > 300, PROCESSING_DEADLINE));
            w.startWorker("w3");
            assertTrue(Workload.await(() -> !w.heldLeases("w3").isEmpty(), PROCESSING_DEADLINE),
                    "the third worker takes a lease");
            w.stopWorker("w1");
            long afterStop = w.added();
            Fault[] kinesisFaults = {Fault.RECORD_THROTTLED, Fault.RECORD_INTERNAL_FAILURE, Fault.THROTTLING,
                    Fault.SERVICE_UNAVAILABLE, Fault.CONNECTION_RESET, Fault.EXPIRED_ITERATOR, Fault.LATENCY};
            // the rates are low and a short run makes few calls: go on until every fault class has happened
            assertTrue(Workload.await(() -> w.added() > afterStop + 800 && injectedAll(kinesis, kinesisFaults)
                    && injectedAll(dynamoDb, Fault.THROTTLING), PROCESSING_DEADLINE));
            Reconciliation r = w.finish(PROCESSING_DEADLINE);
            printFaults("mixed kinesis", kinesis);
            printFaults("mixed dynamodb", dynamoDb);
            assertClean(r, false);
            assertInjected(kinesis, kinesisFaults);
            assertInjected(dynamoDb, Fault.THROTTLING);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Adds the fault, at this rate, to every Kinesis call (PutRecords, GetRecords, GetShardIterator, ListShards...). */
    private static void onEveryCall(FaultInjector.Builder faults, Fault fault, double rate) {
        faults.fail(fault, FaultInjector.ANY_OPERATION, When.rate(rate));
    }

    /**
     * {@code workers} in-process workers, {@link #RECORDS} records at the default rate (more, 100 at a time, until
     * {@code faultsSeen}), then reconcile.
     */
    private static Reconciliation runSimple(LocalEndpoints endpoints, String name, FaultInjector kinesis,
                                            FaultInjector dynamoDb, int workers, BooleanSupplier faultsSeen) {
        Workload.Builder builder = Workload.builder(endpoints).name(name);
        if (kinesis != null) {
            builder.kinesisFaults(kinesis);
        }
        if (dynamoDb != null) {
            builder.dynamoDbFaults(dynamoDb);
        }
        try (Workload w = builder.build()) {
            for (int i = 1; i <= workers; i++) {
                w.startWorker("w" + i);
            }
            w.produce(RECORDS);
            // the faults come by rate: on an unlucky run a rare class may not have happened yet, so go on a little
            long deadline = System.nanoTime() + PROCESSING_DEADLINE.toNanos();
            while (!faultsSeen.getAsBoolean() && System.nanoTime() < deadline) {
                w.produce(100);
            }
            Reconciliation r = w.finish(PROCESSING_DEADLINE);
            if (kinesis != null) {
                printFaults(name + " kinesis", kinesis);
            }
            if (dynamoDb != null) {
                printFaults(name + " dynamodb", dynamoDb);
            }
            return r;
        }
    }

    private static long delivered(Workload w, String worker) {
        return w.ledger().deliveryCount(worker);
    }

    private static void assertClean(Reconciliation r, boolean duplicatesAllowed) {
        assertEquals(List.of(), r.problems(duplicatesAllowed, false), r.line());
    }

    private static boolean injectedAll(FaultInjector faults, Fault... expected) {
        Map<Fault, Long> counts = faults.injectedCounts();
        for (Fault fault : expected) {
            if (counts.get(fault) == 0) {
                return false;
            }
        }
        return true;
    }

    private static void assertInjected(FaultInjector faults, Fault... expected) {
        Map<Fault, Long> counts = faults.injectedCounts();
        for (Fault fault : expected) {
            assertTrue(counts.get(fault) > 0, fault + " was never injected: " + counts);
        }
    }

    private static void printFaults(String name, FaultInjector faults) {
        StringBuilder s = new StringBuilder("FAULTS ").append(name).append(":");
        faults.injectedCounts().forEach((fault, n) -> {
            if (n > 0) {
                s.append(' ').append(fault).append('=').append(n);
            }
        });
        System.out.println(s);
    }

    /**
     * Counts the calls sent (past every interceptor before this one, such as a closed gate) that have no answer yet.
     * A flag in the execution's attributes marks a counted attempt, so it is uncounted once, whichever hook sees it
     * end (an answer, or the failure of the whole execution).
     */
    private static final class InFlightCalls implements ExecutionInterceptor {
        private static final ExecutionAttribute<AtomicBoolean> SENT = new ExecutionAttribute<>("chaos-in-flight");
        private final AtomicInteger count = new AtomicInteger();

        int count() {
            return count.get();
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            AtomicBoolean sent = attributes.getAttribute(SENT);
            if (sent == null) {
                attributes.putAttribute(SENT, new AtomicBoolean(true));
                count.incrementAndGet();
            } else if (sent.compareAndSet(false, true)) {
                count.incrementAndGet();
            }
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            ended(attributes);
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            ended(attributes);
        }

        private void ended(ExecutionAttributes attributes) {
            AtomicBoolean sent = attributes.getAttribute(SENT);
            if (sent != null && sent.compareAndSet(true, false)) {
                count.decrementAndGet();
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
