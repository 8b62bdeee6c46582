package io.purekinesis.consumer;

/** A checkpoint position that is malformed, goes backwards, or lies beyond the last delivered record. */
public class InvalidCheckpointException extends KinesisConsumerException {

    private static final long serialVersionUID = 1L;

    /** Thrown by the checkpointer. */
    public InvalidCheckpointException(String message) {
        super(message);
    }

    /** Thrown by the checkpointer, with the underlying failure as the cause. */
    public InvalidCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
