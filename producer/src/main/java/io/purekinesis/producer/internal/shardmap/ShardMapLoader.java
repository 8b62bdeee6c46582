package io.purekinesis.producer.internal.shardmap;

import io.purekinesis.internal.kinesis.ShardLister;
import io.purekinesis.internal.kinesis.StreamNames;
import io.purekinesis.producer.internal.LibraryApiName;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;

/**
 * Reads every shard of a stream with ListShards ({@link ShardLister}: all pages), without blocking; and, when asked,
 * the stream's ARN first (DescribeStreamSummary by name), to tell whether an ARN spelling names this very stream.
 */
public final class ShardMapLoader {

    private final KinesisAsyncClient client;

    /** A finished load: the shard map, and the stream's ARN when it was asked for (else null). */
    public record Loaded(ShardMap map, String arn) {
    }

    /** A load failed: which call, and the SDK's exception as the cause. */
    public static final class LoadFailedException extends CompletionException {
        private static final long serialVersionUID = 1L;
        private final String operation;

        public LoadFailedException(String operation, Throwable cause) {
            super(operation + " failed: " + cause, cause);
            this.operation = operation;
        }

        /** {@code ListShards} or {@code DescribeStreamSummary}. */
        public String operation() {
            return operation;
        }
    }

    public ShardMapLoader(KinesisAsyncClient client) {
        this.client = client;
    }

    /** Completes with the stream's open shards, or exceptionally with the SDK's exception. */
    public CompletableFuture<ShardMap> load(String stream, long version) {
        return load(stream, version, false).thenApply(Loaded::map);
    }

    /**
     * Completes with the stream's open shards (and its ARN when {@code describe}), or exceptionally with a
     * {@link LoadFailedException} naming the call that failed.
     *
     * @param stream the stream's name
     */
    public CompletableFuture<Loaded> load(String stream, long version, boolean describe) {
        CompletableFuture<String> arn = describe ? describe(stream) : CompletableFuture.completedFuture(null);
        return arn.thenCompose(a -> {
            ListShardsRequest.Builder first = LibraryApiName.tag(ListShardsRequest.builder());
            if (StreamNames.isArn(stream)) {
                first.streamARN(stream);
            } else {
                first.streamName(stream);
            }
            return ShardLister.listAll(first.build(), client::listShards).handle((shards, e) -> {
                if (e != null) {
                    throw new LoadFailedException("ListShards", unwrap(e));
                }
                return new Loaded(ShardMap.of(shards, version), a);
            });
        });
    }

    private CompletableFuture<String> describe(String stream) {
        try {
            return client.describeStreamSummary(LibraryApiName.tag(DescribeStreamSummaryRequest.builder())
                            .streamName(stream).build())
                    .handle((r, e) -> {
                        if (e != null) {
                            throw new LoadFailedException("DescribeStreamSummary", unwrap(e));
                        }
                        return r.streamDescriptionSummary().streamARN();
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new LoadFailedException("DescribeStreamSummary", e));
        }
    }

    /** Without CompletionException layers; a {@link LoadFailedException} is one of them, so it stops there. */
    private static Throwable unwrap(Throwable e) {
        Throwable c = e;
        while (c instanceof CompletionException && !(c instanceof LoadFailedException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
