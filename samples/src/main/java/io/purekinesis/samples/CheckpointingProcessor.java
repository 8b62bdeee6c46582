package io.purekinesis.samples;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.LeaseLostException;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;

/**
 * The sample apps' processors: handle a batch, then checkpoint after it, at a shard's end and at shutdown. A lost
 * lease is not an error here: the next owner resumes after the last checkpoint (and re-delivers what came after).
 */
abstract class CheckpointingProcessor implements RecordProcessor {

    /** What the app does with a batch; the checkpoint follows. */
    abstract void handle(ProcessRecordsInput input);

    @Override
    public final void initialize(InitializationInput input) {
    }

    @Override
    public final void processRecords(ProcessRecordsInput input) {
        handle(input);
        checkpoint(input.checkpointer());
    }

    @Override
    public final void leaseLost() {
    }

    @Override
    public final void shardEnded(Checkpointer checkpointer) {
        checkpoint(checkpointer);
    }

    @Override
    public final void shutdownRequested(Checkpointer checkpointer) {
        checkpoint(checkpointer);
    }

    private static void checkpoint(Checkpointer checkpointer) {
        try {
            checkpointer.checkpoint();
        } catch (LeaseLostException e) {
            // another worker owns the shard now and continues from the last checkpoint
        }
    }
}
