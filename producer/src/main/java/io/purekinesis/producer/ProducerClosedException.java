package io.purekinesis.producer;

/** Thrown by {@code add} (and by a {@code BLOCK} wait for buffer space) once {@code close} has begun. */
public class ProducerClosedException extends KinesisProducerException {

    private static final long serialVersionUID = 1L;

    /** Thrown by {@code add} after close began; the message names where close was called. */
    public ProducerClosedException(String message) {
        super(message);
    }
}
