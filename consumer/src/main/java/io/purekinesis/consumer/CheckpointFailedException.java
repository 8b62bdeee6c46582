package io.purekinesis.consumer;

/** DynamoDB kept failing while writing a checkpoint; the checkpoint may or may not have been written. */
public class CheckpointFailedException extends KinesisConsumerException {

    private static final long serialVersionUID = 1L;

    public CheckpointFailedException(String message) {
        super(message);
    }

    public CheckpointFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
