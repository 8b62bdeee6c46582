package io.purekinesis.consumer.scratch;

import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.Streams;
import java.math.BigInteger;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.*;

@ExtendWith(LocalEndpointsExtension.class)
class EfoProbeTest {
    @Test
    void probe(KinesisAsyncClient kinesis) throws Exception {
        String stream = Streams.uniqueStreamName("probe");
        Streams.createStream(kinesis, stream, 1);
        String arn = kinesis.describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary().streamARN();
        for (int i = 0; i < 30; i++) {
            int n = i;
            kinesis.putRecord(b -> b.streamName(stream).partitionKey("k" + n).data(SdkBytes.fromUtf8String("r" + n))).join();
        }
        System.out.println("PROBE protocol: " + kinesis.serviceClientConfiguration());
        Consumer c = kinesis.registerStreamConsumer(b -> b.streamARN(arn).consumerName("probe")).join().consumer();
        System.out.println("PROBE registered " + c);
        try {
            kinesis.registerStreamConsumer(b -> b.streamARN(arn).consumerName("probe")).join();
        } catch (Exception e) {
            System.out.println("PROBE second register: " + e);
        }
        try {
            System.out.println("PROBE describe by name: " + kinesis.describeStreamConsumer(b -> b.streamARN(arn).consumerName("nope")).join());
        } catch (Exception e) {
            System.out.println("PROBE describe missing: " + e);
        }
        while (kinesis.describeStreamConsumer(b -> b.consumerARN(c.consumerARN())).join().consumerDescription().consumerStatus() != ConsumerStatus.ACTIVE) {
            Thread.sleep(20);
        }
        String shard = kinesis.listShards(b -> b.streamName(stream)).join().shards().get(0).shardId();
        subscribe(kinesis, c.consumerARN(), shard, StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build(), 2);
        long t0 = System.nanoTime();
        while (true) {
            CompletableFuture<Throwable> r = subscribe(kinesis, c.consumerARN(), shard, StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build(), 1);
            Throwable e = r.get();
            System.out.println("PROBE after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e);
            if (e == null) break;
            Thread.sleep(1000);
        }
        Shard parent = kinesis.listShards(b -> b.streamName(stream)).join().shards().get(0);
        BigInteger middle = new BigInteger(parent.hashKeyRange().endingHashKey()).shiftRight(1);
        kinesis.splitShard(b -> b.streamName(stream).shardToSplit(shard).newStartingHashKey(middle.toString())).join();
        Thread.sleep(1500);
        System.out.println("PROBE shards " + kinesis.listShards(b -> b.streamName(stream)).join().shards());
        Thread.sleep(6000);
        subscribe(kinesis, c.consumerARN(), shard, StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build(), 6).get();
        Streams.deleteStream(kinesis, stream);
    }

    static volatile String last;

    static CompletableFuture<Throwable> subscribe(KinesisAsyncClient kinesis, String arn, String shard, StartingPosition pos, int events) throws Exception {
        CompletableFuture<Void> got = new CompletableFuture<>();
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        long t0 = System.nanoTime();
        CompletableFuture<Void> call = kinesis.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(arn).shardId(shard).startingPosition(pos).build(),
                SubscribeToShardResponseHandler.builder().onEventStream(p -> p.subscribe(new Subscriber<SubscribeToShardEventStream>() {
                    Subscription s; int n;
                    public void onSubscribe(Subscription s) { this.s = s; s.request(1); }
                    public void onNext(SubscribeToShardEventStream e) {
                        if (e instanceof SubscribeToShardEvent ev) {
                            System.out.println("PROBE +" + (System.nanoTime() - t0) / 1_000_000 + "ms event records=" + ev.records().size() + " first=" + (ev.records().isEmpty() ? null : ev.records().get(0).sequenceNumber()) + " lastRec=" + (ev.records().isEmpty() ? null : ev.records().get(ev.records().size()-1).sequenceNumber()) + " cont=" + ev.continuationSequenceNumber() + " behind=" + ev.millisBehindLatest() + " children=" + ev.childShards());
                            if (ev.continuationSequenceNumber() != null) last = ev.continuationSequenceNumber();
                        } else {
                            System.out.println("PROBE other " + e);
                        }
                        if (++n >= events) { s.cancel(); got.complete(null); } else { s.request(1); }
                    }
                    public void onError(Throwable t) { System.out.println("PROBE onError " + t); got.complete(null); }
                    public void onComplete() { System.out.println("PROBE onComplete"); got.complete(null); }
                })).build());
        call.whenComplete((v, e) -> { System.out.println("PROBE future done " + e); result.complete(e); });
        try { got.get(20, java.util.concurrent.TimeUnit.SECONDS); } catch (Exception e) { System.out.println("PROBE wait " + e); }
        if (!result.isDone()) { Thread.sleep(100); result.complete(null); }
        return result;
    }
}
