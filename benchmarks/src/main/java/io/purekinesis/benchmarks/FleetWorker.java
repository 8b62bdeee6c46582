package io.purekinesis.benchmarks;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * One simulated worker process: one {@link KinesisConsumer} on the public API, over one stream or, with several, in
 * multi-stream mode (one application and lease table for all of them), sharing the simulation's DynamoDB client and
 * with a Kinesis view of its own. Leases are named {@code <stream>/<shard id>} whatever the mode, so that the
 * processors' reports and the held leases name them alike.
 */
final class FleetWorker {

    /** Told when a processor of this worker is initialized (the lease is being processed from then on). */
    interface Listener {
        void initialized(FleetWorker worker, String lease);
    }

    private final String id;
    private final FleetKinesis.WorkerClient kinesis;
    private final Severable dynamo;
    private final List<String> streams;
    private final List<KinesisConsumer> consumers = new ArrayList<>();
    private volatile boolean gone;

    /**
     * @param config for each stream, the consumer's settings (the worker sets the id, stream and clients)
     */
    FleetWorker(String id, List<String> streams, FleetKinesis kinesis, DynamoDbAsyncClient dynamo,
            UnaryOperator<ConsumerConfig.Builder> config, String applicationPrefix, Listener listener) {
        this.id = id;
        this.streams = streams;
        this.kinesis = kinesis.client();
        this.dynamo = new Severable(dynamo);
        ConsumerConfig.Builder b = config.apply(ConsumerConfig.builder()).applicationName(applicationPrefix)
                .workerId(id).kinesisClient(this.kinesis).dynamoDbClient(this.dynamo.client());
        if (streams.size() == 1) {
            b.streamName(streams.get(0));
        } else {
            b.streams(streams);
        }
        consumers.add(new KinesisConsumer(b.build(), () -> new Processor(streams.get(0), listener)));
    }

    String id() {
        return id;
    }

    boolean isGone() {
        return gone;
    }

    List<String> leaseTables() {
        return consumers.stream().map(c -> c.config().leaseTableName()).toList();
    }

    void start() {
        consumers.forEach(KinesisConsumer::start);
    }

    /** The leases this worker holds, as {@code <stream>/<lease key>}. */
    Set<String> heldLeases() {
        Set<String> held = new HashSet<>();
        for (KinesisConsumer c : consumers) {
            c.heldLeases().forEach(k -> held.add(leaseName(k)));
        }
        return held;
    }

    /** The stream a lease named by {@link #heldLeases()} belongs to. */
    static String streamOf(String lease) {
        return lease.substring(0, lease.indexOf('/'));
    }

    /** {@code <stream>/<shard id>}: a multi-stream key is {@code account:stream:creationEpoch:shardId}. */
    private String leaseName(String key) {
        if (streams.size() == 1) {
            return streams.get(0) + "/" + key;
        }
        String[] parts = key.split(":", 4);
        return parts[1] + "/" + parts[3];
    }

    /** Graceful leave: close() of every consumer. */
    void close() {
        gone = true;
        consumers.parallelStream().forEach(c -> c.close(Duration.ofSeconds(60)));
    }

    /**
     * kill -9: the worker's clients stop answering (a call in flight lands or not, as for a dead process), then every
     * consumer stops at once without callbacks, checkpoints or releases. The consumer's halt() is not public API:
     * it is called by reflection; if a consumer has none, it is left running cut off from DynamoDB and Kinesis,
     * which to its peers is the same.
     */
    String kill() {
        gone = true;
        kinesis.sever();
        dynamo.sever();
        String how = "halt()";
        for (KinesisConsumer c : consumers) {
            try {
                Method halt = KinesisConsumer.class.getDeclaredMethod("halt");
                halt.setAccessible(true);
                halt.invoke(c);
            } catch (ReflectiveOperationException | RuntimeException e) {
                how = "clients cut off (no halt(): " + e + ")";
            }
        }
        return how;
    }

    /** Counts, checkpoints where an application would (shutdown, shard end), and reports initialize. */
    private final class Processor implements RecordProcessor {
        private final String stream;
        private final Listener listener;

        Processor(String stream, Listener listener) {
            this.stream = stream;
            this.listener = listener;
        }

        @Override
        public void initialize(InitializationInput input) {
            String s = input.streamName() != null ? input.streamName() : stream;
            listener.initialized(FleetWorker.this, s + "/" + input.shardId());
        }

        @Override
        public void processRecords(ProcessRecordsInput input) {
            if (!input.records().isEmpty()) {
                input.checkpointer().checkpoint();
            }
        }

        @Override
        public void leaseLost() {
        }

        @Override
        public void shardEnded(Checkpointer checkpointer) {
            checkpointer.checkpoint();
        }

        @Override
        public void shutdownRequested(Checkpointer checkpointer) {
            checkpointer.checkpoint();
        }
    }

    /**
     * The shared DynamoDB client behind a switch: after {@link #sever()} every call fails at once without reaching
     * DynamoDB. A proxy, so every operation of the interface passes through whatever the consumer calls.
     */
    static final class Severable implements InvocationHandler {
        private final DynamoDbAsyncClient target;
        private final DynamoDbAsyncClient proxy;
        private volatile boolean severed;

        Severable(DynamoDbAsyncClient target) {
            this.target = target;
            this.proxy = (DynamoDbAsyncClient) Proxy.newProxyInstance(DynamoDbAsyncClient.class.getClassLoader(),
                    new Class<?>[] {DynamoDbAsyncClient.class}, this);
        }

        DynamoDbAsyncClient client() {
            return proxy;
        }

        void sever() {
            severed = true;
        }

        @Override
        public Object invoke(Object p, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close":
                    return null; // shared: the simulation closes it
                case "hashCode":
                    return System.identityHashCode(p);
                case "equals":
                    return p == args[0];
                case "toString":
                    return "FleetWorker.Severable[" + target + "]";
                default:
                    break;
            }
            if (severed && CompletableFuture.class.isAssignableFrom(method.getReturnType())) {
                return CompletableFuture.failedFuture(SdkClientException.create("worker killed (simulated)"));
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
