package io.purekinesis.consumer.internal.fanout;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamConsumerResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponse;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * A Kinesis client whose SubscribeToShard calls the test answers: each call is kept as a {@link Stream} the test
 * opens, pushes events into (only as many as were requested: pushing more fails the test, as a reactive-streams
 * publisher must not), completes or fails. DescribeStreamConsumer answers {@link #consumerStatus}. Every other
 * operation is unsupported.
 */
final class FakeSubscriptions implements KinesisAsyncClient {

    private final LongSupplier nanoTime;
    final List<Stream> streams = new CopyOnWriteArrayList<>();

    FakeSubscriptions(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    @Override
    public CompletableFuture<Void> subscribeToShard(SubscribeToShardRequest request,
            SubscribeToShardResponseHandler handler) {
        Stream s = new Stream(request, handler, nanoTime.getAsLong());
        streams.add(s);
        return s.future;
    }

    /** What DescribeStreamConsumer answers: the status, or null for ResourceNotFoundException. */
    volatile ConsumerStatus consumerStatus = ConsumerStatus.ACTIVE;

    @Override
    public CompletableFuture<DescribeStreamConsumerResponse> describeStreamConsumer(
            DescribeStreamConsumerRequest request) {
        ConsumerStatus status = consumerStatus;
        if (status == null) {
            return CompletableFuture.failedFuture(ResourceNotFoundException.builder().message("no consumer").build());
        }
        return CompletableFuture.completedFuture(DescribeStreamConsumerResponse.builder().consumerDescription(
                d -> d.consumerARN(request.consumerARN()).consumerStatus(status)).build());
    }

    Stream last() {
        assertTrue(!streams.isEmpty(), "no SubscribeToShard call");
        return streams.get(streams.size() - 1);
    }

    @Override
    public String serviceName() {
        return "kinesis";
    }

    @Override
    public void close() {
    }

    /** One SubscribeToShard call. */
    static final class Stream implements Subscription {
        final SubscribeToShardRequest request;
        final SubscribeToShardResponseHandler handler;
        final long calledAtNanos;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        private Subscriber<? super SubscribeToShardEventStream> subscriber;
        long requested;
        long pushed;
        long maxOutstanding;
        volatile boolean cancelled;

        Stream(SubscribeToShardRequest request, SubscribeToShardResponseHandler handler, long calledAtNanos) {
            this.request = request;
            this.handler = handler;
            this.calledAtNanos = calledAtNanos;
        }

        /** Kinesis accepts the subscription: the response, then the event stream. */
        Stream open() {
            handler.responseReceived(SubscribeToShardResponse.builder().build());
            SdkPublisher<SubscribeToShardEventStream> publisher = s -> {
                subscriber = s;
                s.onSubscribe(this);
            };
            handler.onEventStream(publisher);
            return this;
        }

        /** Sends an event; only when one was requested. */
        void push(SubscribeToShardEventStream event) {
            assertTrue(pushed < requested, "pushed more events than requested (" + requested + ")");
            pushed++;
            subscriber.onNext(event);
        }

        /** Sends an event even though it was not requested or the stream ended (a late event). */
        void pushLate(SubscribeToShardEventStream event) {
            subscriber.onNext(event);
        }

        long outstanding() {
            return requested - pushed;
        }

        void complete() {
            if (subscriber != null) {
                subscriber.onComplete();
            }
            handler.complete();
            future.complete(null);
        }

        void fail(Throwable t) {
            if (subscriber != null) {
                subscriber.onError(t);
            }
            handler.exceptionOccurred(t);
            future.completeExceptionally(t);
        }

        @Override
        public void request(long n) {
            assertTrue(n == 1, "requested " + n + " events at once");
            requested += n;
            maxOutstanding = Math.max(maxOutstanding, outstanding());
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
