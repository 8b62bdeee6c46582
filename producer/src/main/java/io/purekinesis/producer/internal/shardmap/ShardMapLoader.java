package io.purekinesis.producer.internal.shardmap;

import io.purekinesis.producer.internal.RequestTag;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.Shard;

/** Reads every shard of a stream with ListShards, following {@code NextToken}, without blocking. */
public final class ShardMapLoader {

    private final KinesisAsyncClient client;

    public ShardMapLoader(KinesisAsyncClient client) {
        this.client = client;
    }

    /** Completes with the stream's open shards, or exceptionally with the SDK's exception. */
    public CompletableFuture<ShardMap> load(String stream, long version) {
        ListShardsRequest.Builder first = RequestTag.tag(ListShardsRequest.builder());
        if (StreamNames.isArn(stream)) {
            first.streamARN(stream);
        } else {
            first.streamName(stream);
        }
        List<Shard> shards = new ArrayList<>();
        return page(first.build(), shards).thenApply(ignored -> ShardMap.of(shards, version));
    }

    private CompletableFuture<Void> page(ListShardsRequest request, List<Shard> into) {
        CompletableFuture<Void> done;
        try {
            done = client.listShards(request).thenCompose(response -> {
                into.addAll(response.shards());
                String next = response.nextToken();
                if (next == null || next.isEmpty()) {
                    return CompletableFuture.completedFuture(null);
                }
                // With NextToken, ListShards refuses StreamName.
                return page(RequestTag.tag(ListShardsRequest.builder()).nextToken(next).build(), into);
            });
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done;
    }
}
