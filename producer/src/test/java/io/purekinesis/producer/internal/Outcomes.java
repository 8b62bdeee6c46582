package io.purekinesis.producer.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.RecordResult;
import io.purekinesis.producer.internal.buffer.MemoryBudget;
import java.util.concurrent.ExecutionException;

/**
 * Records and their outcomes for tests of the producer's stages whose completions run on the calling thread: an
 * outcome is there at once, or never.
 */
public final class Outcomes {

    private Outcomes() {
    }

    /** A record of 8 bytes under {@code key}, its room reserved in {@code budget} as {@code add} does. */
    public static UserRecord record(String key, MemoryBudget budget, long expiryMillis) {
        byte[] data = new byte[8];
        int size = data.length + key.length();
        budget.reserve(size, 0);
        HashKey128 hash = HashKey128.hashPartitionKey(key);
        return new UserRecord(key, null, data, hash.hi(), hash.lo(), expiryMillis, size);
    }

    public static RecordResult result(UserRecord r) throws Exception {
        assertTrue(r.isDone(), "completed");
        return r.get();
    }

    public static Throwable failure(UserRecord r) {
        assertTrue(r.isDone(), "completed");
        return assertThrows(ExecutionException.class, r::get).getCause();
    }
}
