package io.purekinesis.systemtests;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A processor that reports every record it is given to a {@link Sink}, then checkpoints the batch. A checkpoint that
 * fails (lease lost, DynamoDB failing) is logged and not retried: the records stay reported, and whoever owns the
 * shard next gets them again, which the reconciliation counts as duplicates.
 */
final class RecordingProcessor implements RecordProcessor {

    /** Where deliveries go: the {@link Ledger} in this JVM, standard output in a child worker. */
    @FunctionalInterface
    interface Sink {
        void delivered(byte[] data, String worker, String shardId, String sequenceNumber, long subSequenceNumber);
    }

    private static final Logger LOG = LoggerFactory.getLogger(RecordingProcessor.class);

    private final String worker;
    private final Sink sink;
    private final Runnable afterBatch;
    private String shardId;

    /** {@code afterBatch} runs after the batch was reported and before the checkpoint (e.g. a flush). */
    RecordingProcessor(String worker, Sink sink, Runnable afterBatch) {
        this.worker = worker;
        this.sink = sink;
        this.afterBatch = afterBatch;
    }

    @Override
    public void initialize(InitializationInput input) {
        shardId = input.shardId();
    }

    @Override
    public void processRecords(ProcessRecordsInput input) {
        if (input.records().isEmpty()) {
            return;
        }
        for (KinesisUserRecord r : input.records()) {
            sink.delivered(r.dataBytes(), worker, input.shardId(), r.sequenceNumber(), r.subSequenceNumber());
        }
        afterBatch.run();
        checkpoint(input.checkpointer(), "batch");
    }

    @Override
    public void leaseLost() {
        LOG.info("{} lost the lease of {}", worker, shardId);
    }

    @Override
    public void shardEnded(Checkpointer checkpointer) {
        checkpoint(checkpointer, "shard end");
    }

    @Override
    public void shutdownRequested(Checkpointer checkpointer) {
        checkpoint(checkpointer, "shutdown");
    }

    private void checkpoint(Checkpointer checkpointer, String when) {
        try {
            checkpointer.checkpoint();
        } catch (KinesisConsumerException e) {
            LOG.info("{}: checkpoint of {} at {} failed: {}", worker, shardId, when, e.toString());
        }
    }
}
