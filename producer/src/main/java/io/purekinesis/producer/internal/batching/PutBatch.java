package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import java.util.List;

/**
 * The entries of one PutRecords call, the shards it holds "in flight" until {@link #complete}, and where its answer
 * goes: the collector that formed it (retries, freeing the shards) and its stream's {@link RoutingFeedback}. So
 * whoever handles the answer needs nothing but the batch.
 */
public final class PutBatch {

    private final String stream;
    private final List<KinesisEntry> entries;
    private final long sizeBytes;
    final List<ShardQueue> shards;
    private final StreamCollector collector;
    private final RoutingFeedback routing;

    PutBatch(String stream, List<KinesisEntry> entries, long sizeBytes, List<ShardQueue> shards,
            StreamCollector collector, RoutingFeedback routing) {
        this.stream = stream;
        this.entries = entries;
        this.sizeBytes = sizeBytes;
        this.shards = shards;
        this.collector = collector;
        this.routing = routing;
    }

    public String stream() {
        return stream;
    }

    public List<KinesisEntry> entries() {
        return entries;
    }

    /** Data plus partition keys of every entry. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** The stream's receiver of wrong-shard answers and stream failures. */
    public RoutingFeedback routing() {
        return routing;
    }

    /**
     * Ends the call in its collector ({@link StreamCollector#complete}): queues the retries, frees the shards.
     *
     * @return false when the collector was aborted by close: the caller must fail {@code retries} itself
     */
    public boolean complete(List<KinesisEntry> retries) {
        return collector.complete(this, retries);
    }
}
