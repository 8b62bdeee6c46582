package io.purekinesis.consumer;

/** Base of the exceptions this consumer throws to user code. */
public class KinesisConsumerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public KinesisConsumerException(String message) {
        super(message);
    }

    /** An exception with this message and cause. */
    public KinesisConsumerException(String message, Throwable cause) {
        super(message, cause);
    }
}
