package io.purekinesis.producer.internal.ratelimit;

/**
 * Tokens refill continuously at {@code ratePerSecond} up to one second's worth. Not thread-safe: used under the
 * collector's lock with times read from the producer's clock.
 */
public final class TokenBucket {

    private final double ratePerMilli;
    private final double capacity;
    private double tokens;
    private long lastMillis;

    public TokenBucket(double ratePerSecond, long nowMillis) {
        this.ratePerMilli = ratePerSecond / 1000.0;
        this.capacity = ratePerSecond;
        this.tokens = ratePerSecond;
        this.lastMillis = nowMillis;
    }

    private void refill(long nowMillis) {
        if (nowMillis > lastMillis) {
            tokens = Math.min(capacity, tokens + (nowMillis - lastMillis) * ratePerMilli);
            lastMillis = nowMillis;
        }
    }

    /**
     * True when {@code amount} tokens are available (an amount above capacity only needs a full bucket, so one
     * oversize item is never stuck forever).
     */
    public boolean canTake(double amount, long nowMillis) {
        refill(nowMillis);
        return tokens >= Math.min(amount, capacity);
    }

    public void take(double amount) {
        tokens -= amount;
    }

    /** Milliseconds until {@link #canTake} would be true; 0 when it is now. */
    public long millisUntil(double amount, long nowMillis) {
        refill(nowMillis);
        double missing = Math.min(amount, capacity) - tokens;
        return missing <= 0 ? 0 : (long) Math.ceil(missing / ratePerMilli);
    }
}
