package io.purekinesis.internal.kinesis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

/**
 * Reads every shard of a stream with ListShards, following {@code NextToken}, without blocking. The caller sends
 * each page (its client, its error wrapping); the pages after the first carry only the token (ListShards refuses
 * a StreamName or StreamARN next to one), the first request's override configuration (the library's tag) and its
 * page size.
 */
public final class ShardLister {

    private ShardLister() {
    }

    /**
     * Completes with the shards of all pages in order, or exceptionally with the first page's failure (also one
     * {@code send} threw instead of returning a failed future).
     *
     * @param first the first page's request: the stream by name or ARN, and any filter
     * @param send sends one page
     */
    public static CompletableFuture<List<Shard>> listAll(ListShardsRequest first,
            Function<ListShardsRequest, CompletableFuture<ListShardsResponse>> send) {
        List<Shard> shards = new ArrayList<>();
        return page(first, first, send, shards).thenApply(ignored -> shards);
    }

    private static CompletableFuture<Void> page(ListShardsRequest first, ListShardsRequest request,
            Function<ListShardsRequest, CompletableFuture<ListShardsResponse>> send, List<Shard> into) {
        CompletableFuture<ListShardsResponse> sent;
        try {
            sent = send.apply(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        // Pages are read one after another, so the list is only touched by one thread at a time.
        return sent.thenCompose(response -> {
            into.addAll(response.shards());
            String next = response.nextToken();
            if (next == null || next.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return page(first, nextPage(first, next), send, into);
        });
    }

    private static ListShardsRequest nextPage(ListShardsRequest first, String token) {
        ListShardsRequest.Builder next = ListShardsRequest.builder().nextToken(token).maxResults(first.maxResults());
        first.overrideConfiguration().ifPresent(next::overrideConfiguration);
        return next.build();
    }
}
