package io.purekinesis.consumer.internal;

/**
 * A failed AWS call, with the IAM action it needed and the resource it was about, so that every log line and error
 * built from it says what was attempted on what. The SDK's exception is the cause; {@link Failures#sdkCause} digs it
 * out for decisions. No stack trace of its own: the cause has one.
 */
public final class AwsCallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String operation;
    private final String resource;

    AwsCallException(String operation, String resource, Throwable cause) {
        super(operation + " on " + resource + " failed: " + cause, cause, false, false);
        this.operation = operation;
        this.resource = resource;
    }

    /** The IAM action, e.g. {@code dynamodb:UpdateItem}. */
    public String operation() {
        return operation;
    }

    /** What the call was about, e.g. {@code lease table orders-app}. */
    public String resource() {
        return resource;
    }
}
