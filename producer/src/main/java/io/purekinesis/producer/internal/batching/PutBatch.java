package io.purekinesis.producer.internal.batching;

import io.purekinesis.producer.internal.KinesisEntry;
import java.util.List;

/** The entries of one PutRecords call, and the shards it holds "in flight" until {@link StreamCollector#complete}. */
public final class PutBatch {

    private final String stream;
    private final List<KinesisEntry> entries;
    private final long sizeBytes;
    final List<StreamCollector.ShardQueue> shards;

    PutBatch(String stream, List<KinesisEntry> entries, long sizeBytes, List<StreamCollector.ShardQueue> shards) {
        this.stream = stream;
        this.entries = entries;
        this.sizeBytes = sizeBytes;
        this.shards = shards;
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
}
