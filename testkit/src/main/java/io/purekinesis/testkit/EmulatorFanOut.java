package io.purekinesis.testkit;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponse;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * A Kinesis client for enhanced fan-out (SubscribeToShard) on the local emulator: {@link #client()} passes every call
 * to the emulator's client, and on the way back (1) ends a closed shard's subscription as Kinesis does, and (2)
 * counts the demand of every subscription. Use one per consumer worker.
 *
 * <p>(1) kinesis-local 0.6.2 never ends a closed shard's subscription: its events keep a continuation sequence number
 * and carry no child shards. Kinesis sends, after a closed shard's last record, an event without continuation and
 * with the children. So once ListShards says the shard is closed, an event here with no records and nothing behind
 * (everything read) becomes that event, children from ListShards. Nothing else is changed.
 *
 * <p>(2) For every subscription: events requested and delivered; the most ever requested and not yet delivered.
 */
public final class EmulatorFanOut {

    private final AtomicLong requested = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong deliveredWithRecords = new AtomicLong();
    private final AtomicLong maxOutstandingPerSubscription = new AtomicLong();
    private final KinesisAsyncClient emulator;
    /** Closed shards' children by shard id, once ListShards said so. */
    private final Map<String, List<ChildShard>> ended = new ConcurrentHashMap<>();
    private final Map<String, Long> lastChecked = new ConcurrentHashMap<>();
    private final KinesisAsyncClient client;

    /** Wraps {@code emulator}, a client of the local Kinesis (which stays open: close it yourself). */
    public EmulatorFanOut(KinesisAsyncClient emulator) {
        this.emulator = emulator;
        this.client = (KinesisAsyncClient) Proxy.newProxyInstance(KinesisAsyncClient.class.getClassLoader(),
                new Class<?>[] {KinesisAsyncClient.class}, (proxy, method, args) -> {
                    if (method.getName().equals("subscribeToShard") && args != null && args.length == 2
                            && args[0] instanceof SubscribeToShardRequest r
                            && args[1] instanceof SubscribeToShardResponseHandler h) {
                        return emulator.subscribeToShard(r, new Handler(r, h));
                    }
                    try {
                        return method.invoke(emulator, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The client to hand to the consumer; closing it closes the emulator's client. */
    public KinesisAsyncClient client() {
        return client;
    }

    /** Events requested by all subscriptions so far. */
    public long requested() {
        return requested.get();
    }

    /** Events delivered to all subscriptions so far. */
    public long delivered() {
        return delivered.get();
    }

    /** Delivered events that carried records. */
    public long deliveredWithRecords() {
        return deliveredWithRecords.get();
    }

    /** The most events any one subscription ever had requested and not yet delivered. */
    public long maxOutstandingPerSubscription() {
        return maxOutstandingPerSubscription.get();
    }

    /** The stream's name from a consumer ARN ({@code ...:stream/NAME/consumer/...}). */
    private static String streamOf(String consumerArn) {
        String s = consumerArn.substring(consumerArn.indexOf(":stream/") + ":stream/".length());
        return s.substring(0, s.indexOf('/'));
    }

    /** Looks (at most once a second per shard, in the background) whether the shard is closed. */
    private void check(String stream, String shardId) {
        long now = System.nanoTime();
        Long last = lastChecked.get(shardId);
        if (last != null && now - last < 1_000_000_000L) {
            return;
        }
        lastChecked.put(shardId, now);
        emulator.listShards(b -> b.streamName(stream)).thenAccept(r -> {
            List<Shard> shards = r.shards();
            boolean closed = shards.stream().anyMatch(s -> s.shardId().equals(shardId)
                    && s.sequenceNumberRange().endingSequenceNumber() != null);
            if (closed) {
                List<ChildShard> children = shards.stream().filter(s -> shardId.equals(s.parentShardId())
                        || shardId.equals(s.adjacentParentShardId())).map(s -> ChildShard.builder()
                        .shardId(s.shardId()).hashKeyRange(s.hashKeyRange())
                        .parentShards(s.adjacentParentShardId() == null ? List.of(s.parentShardId())
                                : List.of(s.parentShardId(), s.adjacentParentShardId())).build()).toList();
                if (!children.isEmpty()) {
                    ended.put(shardId, children);
                }
            }
        });
    }

    private final class Handler implements SubscribeToShardResponseHandler {
        private final SubscribeToShardRequest request;
        private final SubscribeToShardResponseHandler target;

        Handler(SubscribeToShardRequest request, SubscribeToShardResponseHandler target) {
            this.request = request;
            this.target = target;
        }

        @Override
        public void responseReceived(SubscribeToShardResponse response) {
            target.responseReceived(response);
        }

        @Override
        public void onEventStream(SdkPublisher<SubscribeToShardEventStream> publisher) {
            target.onEventStream(subscriber -> publisher.subscribe(new Events(request, subscriber)));
        }

        @Override
        public void exceptionOccurred(Throwable throwable) {
            target.exceptionOccurred(throwable);
        }

        @Override
        public void complete() {
            target.complete();
        }
    }

    private final class Events implements Subscriber<SubscribeToShardEventStream> {
        private final SubscribeToShardRequest request;
        private final Subscriber<? super SubscribeToShardEventStream> target;
        private final AtomicLong outstanding = new AtomicLong();

        Events(SubscribeToShardRequest request, Subscriber<? super SubscribeToShardEventStream> target) {
            this.request = request;
            this.target = target;
        }

        @Override
        public void onSubscribe(Subscription s) {
            target.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    requested.addAndGet(n);
                    maxOutstandingPerSubscription.accumulateAndGet(outstanding.addAndGet(n), Math::max);
                    s.request(n);
                }

                @Override
                public void cancel() {
                    s.cancel();
                }
            });
        }

        @Override
        public void onNext(SubscribeToShardEventStream event) {
            outstanding.decrementAndGet();
            delivered.incrementAndGet();
            if (event instanceof SubscribeToShardEvent e) {
                if (e.hasRecords() && !e.records().isEmpty()) {
                    deliveredWithRecords.incrementAndGet();
                } else if (e.millisBehindLatest() != null && e.millisBehindLatest() == 0) {
                    List<ChildShard> children = ended.get(request.shardId());
                    if (children != null) {
                        target.onNext(e.toBuilder().continuationSequenceNumber(null).childShards(children).build());
                        return;
                    }
                    check(streamOf(request.consumerARN()), request.shardId());
                }
            }
            target.onNext(event);
        }

        @Override
        public void onError(Throwable t) {
            target.onError(t);
        }

        @Override
        public void onComplete() {
            target.onComplete();
        }
    }
}
