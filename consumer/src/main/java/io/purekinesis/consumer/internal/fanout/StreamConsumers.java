package io.purekinesis.consumer.internal.fanout;

import io.purekinesis.consumer.internal.ConsumerContext;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.lease.TrackedStream;
import io.purekinesis.consumer.internal.lease.TrackedStreams;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Multi-stream fan-out: the application's stream consumer ({@code fanOutConsumerName}) registered on each stream.
 * The streams read at start are registered by the start-up ({@link #registration}); a stream added later is
 * registered in the background on a lease thread, and a lease of it asks for its consumer's ARN before that is done
 * gets an {@link IllegalStateException}, so it waits and is started again at the next wait tick (as a lease
 * waiting for its parents). Never deregisters (as for one stream).
 */
public final class StreamConsumers implements TrackedStreams.Listener {

    private static final Logger log = LoggerFactory.getLogger(StreamConsumers.class);

    private final ConsumerContext context;
    private final KinesisAsyncClient kinesis;
    private final Map<String, StreamConsumerRegistration> byStream = new ConcurrentHashMap<>();
    private final Map<String, AtomicBoolean> registering = new ConcurrentHashMap<>();

    public StreamConsumers(ConsumerContext context, KinesisAsyncClient kinesis) {
        this.context = context;
        this.kinesis = kinesis;
    }

    /** The registration on {@code streamName} (made on first use; {@code ensure()} registers it). */
    public StreamConsumerRegistration registration(String streamName) {
        return byStream.computeIfAbsent(streamName, s -> new StreamConsumerRegistration(context.config(), s, kinesis,
                context.time(), context.random()));
    }

    /**
     * The ARN of the stream consumer on {@code streamName}.
     *
     * @throws IllegalStateException while it is being registered (started here if it was not)
     */
    public String consumerArn(String streamName) {
        StreamConsumerRegistration r = registration(streamName);
        try {
            return r.consumerArn();
        } catch (IllegalStateException e) {
            registerInBackground(streamName);
            throw new IllegalStateException("the stream consumer of stream " + streamName + " is being registered;"
                    + " its leases start once it is ACTIVE", e);
        }
    }

    @Override
    public void added(TrackedStream stream) {
        registerInBackground(stream.name());
    }

    private void registerInBackground(String streamName) {
        AtomicBoolean busy = registering.computeIfAbsent(streamName, s -> new AtomicBoolean());
        if (!busy.compareAndSet(false, true)) {
            return;
        }
        try {
            context.leaseScheduler().execute(() -> {
                try {
                    registration(streamName).ensure();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    log.warn("Registering the stream consumer on stream {} failed; trying again when one of its "
                            + "leases starts: {}", streamName, Failures.describe(e));
                } finally {
                    busy.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            busy.set(false); // shutting down
        }
    }
}
