package io.purekinesis.consumer;

/** DynamoDB kept failing while writing a checkpoint; the checkpoint may or may not have been written. */
public class CheckpointFailedException extends KinesisConsumerException {

    private static final long serialVersionUID = 1L;

    /** Thrown by the consumer's checkpointer. */
    public CheckpointFailedException(String message) {
        super(message);
    }

    /** Thrown by the consumer's checkpointer, with the last DynamoDB failure as the cause. */
    public CheckpointFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
