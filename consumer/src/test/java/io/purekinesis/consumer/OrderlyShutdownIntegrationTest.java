package io.purekinesis.consumer;

import static io.purekinesis.consumer.IntegrationSupport.await;
import static io.purekinesis.consumer.IntegrationSupport.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.Positions;
import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.io.PrintStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Issue 17: workers that close while their GetShardIterator and GetRecords calls are still in flight stop in order
 * and log nothing alarming when the answers land after their fetch scheduler stopped; and what was checkpointed stays
 * checkpointed.
 */
@ExtendWith(LocalEndpointsExtension.class)
class OrderlyShutdownIntegrationTest {

    private static final int SHARDS = 6;
    private static final int PER_SHARD = 20;

    private final List<String> alarming = new CopyOnWriteArrayList<>();
    private PrintStream originalErr;

    /** slf4j-simple looks System.err up at every line: a tee in its place sees every WARN and ERROR line. */
    @BeforeEach
    void captureLog() {
        originalErr = System.err;
        System.setErr(new PrintStream(originalErr, true) {
            @Override
            public void println(String line) {
                if (line != null && line.contains("io.purekinesis") && (line.contains("] WARN ")
                        || line.contains("] ERROR "))) {
                    alarming.add(line);
                }
                super.println(line);
            }
        });
    }

    @AfterEach
    void restoreLog() {
        System.setErr(originalErr);
    }

    @Test
    void workersClosingWithCallsInFlightSayNothingAlarmingAndKeepTheirCheckpoints(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("orderly");
        Streams.createStream(kinesis, stream, SHARDS);
        IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-orderly");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        HeldIterators held = new HeldIterators(kinesis);
        List<KinesisConsumer> workers = new ArrayList<>();
        try {
            for (String id : List.of("a", "b", "c")) {
                KinesisConsumer w = new KinesisConsumer(config(endpoints, held.client(), dynamo, app, stream, id)
                        .build(), recorder.factory(id));
                workers.add(w);
                w.start();
            }
            await("every shard held", Duration.ofSeconds(60), () -> workers.stream()
                    .mapToInt(w -> w.activeShards().size()).sum() == SHARDS);
            IntegrationSupport.putMarkersAndAwait(kinesis, stream, "before-close", recorder, Duration.ofSeconds(60));
            alarming.clear();

            // a leaves; b and c take its leases, and their GetShardIterator answers are held back
            KinesisConsumer a = workers.get(0);
            int aLeases = a.heldLeases().size();
            held.holding = true;
            assertTrue(a.close(Duration.ofSeconds(30)), "a closed in time");
            await("b and c asking for iterators of a's " + aLeases + " shards", Duration.ofSeconds(60),
                    () -> held.pending() >= aLeases);

            // b and c close together with those calls (and GetRecords) in flight; the answers land afterwards
            List<CompletableFuture<Boolean>> closing = new ArrayList<>();
            for (KinesisConsumer w : workers.subList(1, workers.size())) {
                closing.add(CompletableFuture.supplyAsync(() -> w.close(Duration.ofSeconds(30))));
            }
            for (CompletableFuture<Boolean> c : closing) {
                assertTrue(c.join(), "closed in time");
            }
            int answered = held.releaseAll();

            assertTrue(answered >= aLeases, answered + " held GetShardIterator answers released");
            assertEquals(List.of(), alarming, "WARN or ERROR lines while the workers closed");
            Map<String, ExtendedSequenceNumber> table = checkpointsInTable(dynamo, app);
            recorder.lastCheckpoint.forEach((workerAndShard, checkpointed) -> {
                String shard = workerAndShard.substring(workerAndShard.indexOf('/') + 1);
                ExtendedSequenceNumber now = table.get(shard);
                assertTrue(now != null && Positions.compare(now, checkpointed) >= 0, "shard " + shard
                        + ": checkpointed " + checkpointed + " by " + workerAndShard + ", table now says " + now);
            });
        } finally {
            held.releaseAll();
            workers.forEach(w -> w.close(Duration.ofSeconds(5)));
            Streams.deleteStream(kinesis, stream);
        }
    }

    /**
     * Workers that build their own clients (so close() also closes the clients under calls in flight) close together
     * while they are taking the leases of one that left, with reads every 200 ms on every shard.
     */
    @Test
    void workersOwningTheirClientsCloseTogetherWhileTakingLeasesQuietly(LocalEndpoints endpoints,
            KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamo) throws Exception {
        String stream = Streams.uniqueStreamName("orderly-own");
        Streams.createStream(kinesis, stream, SHARDS);
        IntegrationSupport.fill(kinesis, stream, PER_SHARD);
        String app = Streams.uniqueStreamName("app-orderly-own");
        IntegrationSupport.Recorder recorder = new IntegrationSupport.Recorder();
        List<KinesisConsumer> workers = new ArrayList<>();
        try {
            for (String id : List.of("a", "b", "c", "d")) {
                ConsumerConfig c = ConsumerConfig.builder().applicationName(app).streamName(stream).workerId(id)
                        .initialPosition(InitialPosition.trimHorizon()).failoverTime(IntegrationSupport.FAILOVER)
                        .idleTimeBetweenReads(Duration.ofMillis(200))
                        .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                        .kinesisEndpoint(endpoints.kinesis().endpoint())
                        .dynamoDbEndpoint(endpoints.dynamoDb().endpoint())
                        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("dummy",
                                        "dummy")))
                        .build();
                KinesisConsumer w = new KinesisConsumer(c, recorder.factory(id));
                workers.add(w);
                w.start();
            }
            await("every shard processed", Duration.ofSeconds(60), () -> workers.stream()
                    .mapToInt(w -> w.activeShards().size()).sum() == SHARDS);
            IntegrationSupport.putMarkersAndAwait(kinesis, stream, "before-close", recorder, Duration.ofSeconds(60));
            alarming.clear();

            KinesisConsumer a = workers.get(0);
            List<KinesisConsumer> rest = workers.subList(1, workers.size());
            int before = rest.stream().mapToInt(w -> w.heldLeases().size()).sum();
            assertTrue(a.close(Duration.ofSeconds(30)), "a closed in time");
            // the moment a peer has taken one of a's leases, its iterator call is on its way: close them all
            await("a peer took one of a's leases", Duration.ofSeconds(60),
                    () -> rest.stream().mapToInt(w -> w.heldLeases().size()).sum() > before);
            List<CompletableFuture<Boolean>> closing = new ArrayList<>();
            for (KinesisConsumer w : rest) {
                closing.add(CompletableFuture.supplyAsync(() -> w.close(Duration.ofSeconds(30))));
            }
            for (CompletableFuture<Boolean> c : closing) {
                assertTrue(c.join(), "closed in time");
            }

            assertEquals(List.of(), alarming, "WARN or ERROR lines while the workers closed");
            Map<String, ExtendedSequenceNumber> table = checkpointsInTable(dynamo, app);
            recorder.lastCheckpoint.forEach((workerAndShard, checkpointed) -> {
                String shard = workerAndShard.substring(workerAndShard.indexOf('/') + 1);
                ExtendedSequenceNumber now = table.get(shard);
                assertTrue(now != null && Positions.compare(now, checkpointed) >= 0, "shard " + shard
                        + ": checkpointed " + checkpointed + " by " + workerAndShard + ", table now says " + now);
            });
        } finally {
            workers.forEach(w -> w.close(Duration.ofSeconds(5)));
            Streams.deleteStream(kinesis, stream);
        }
    }

    private static Map<String, ExtendedSequenceNumber> checkpointsInTable(DynamoDbAsyncClient dynamo, String table) {
        Map<String, ExtendedSequenceNumber> m = new java.util.HashMap<>();
        for (Map<String, AttributeValue> row : dynamo.scan(b -> b.tableName(table).consistentRead(true)).join()
                .items()) {
            AttributeValue sub = row.get("checkpointSubSequenceNumber");
            m.put(row.get("leaseKey").s(), ExtendedSequenceNumber.of(row.get("checkpoint").s(),
                    sub == null ? 0 : Long.parseLong(sub.n())));
        }
        return m;
    }

    /** The Kinesis client with GetShardIterator answers held back while {@link #holding}, until released. */
    private static final class HeldIterators implements InvocationHandler {
        private final KinesisAsyncClient target;
        private final List<Runnable> held = new CopyOnWriteArrayList<>();
        private final Set<Runnable> released = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile boolean holding;

        HeldIterators(KinesisAsyncClient target) {
            this.target = target;
        }

        KinesisAsyncClient client() {
            return (KinesisAsyncClient) Proxy.newProxyInstance(KinesisAsyncClient.class.getClassLoader(),
                    new Class<?>[] {KinesisAsyncClient.class}, this);
        }

        int pending() {
            return held.size() - released.size();
        }

        /** Lets every held answer through, on this thread (as an SDK thread would deliver it); returns how many. */
        int releaseAll() {
            int n = 0;
            for (Runnable r : held) {
                if (released.add(r)) {
                    r.run();
                    n++;
                }
            }
            return n;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (!holding || !method.getName().equals("getShardIterator")) {
                return result;
            }
            CompletableFuture<Object> real = (CompletableFuture<Object>) result;
            CompletableFuture<Object> later = new CompletableFuture<>();
            held.add(() -> {
                Object value = real.join();
                later.complete(value);
            });
            return later;
        }
    }
}
