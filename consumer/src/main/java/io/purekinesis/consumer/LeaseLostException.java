package io.purekinesis.consumer;

/** This worker no longer holds the shard's lease: another worker took it, or it could not be renewed in time. */
public class LeaseLostException extends KinesisConsumerException {

    private static final long serialVersionUID = 1L;

    /** Thrown by the checkpointer. */
    public LeaseLostException(String message) {
        super(message);
    }

    /** Thrown by the checkpointer, with the underlying failure as the cause. */
    public LeaseLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
