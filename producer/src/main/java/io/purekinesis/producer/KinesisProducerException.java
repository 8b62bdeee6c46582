package io.purekinesis.producer;

/** Base of every exception this library throws or completes a future with. */
public class KinesisProducerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** An exception with this message. */
    public KinesisProducerException(String message) {
        super(message);
    }

    /** An exception with this message and cause. */
    public KinesisProducerException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For frequent, expected failures: no stack trace is captured. */
    protected KinesisProducerException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, false, writableStackTrace);
    }
}
