package io.purekinesis.consumer;

/** A checkpoint position that is malformed, goes backwards, or lies beyond the last delivered record. */
public class InvalidCheckpointException extends KinesisConsumerException {

    private static final long serialVersionUID = 1L;

    public InvalidCheckpointException(String message) {
        super(message);
    }

    public InvalidCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
