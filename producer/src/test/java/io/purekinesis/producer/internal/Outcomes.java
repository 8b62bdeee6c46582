package io.purekinesis.producer.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.RecordResult;
import java.util.concurrent.ExecutionException;

/** A record's outcome in tests whose completions run on the calling thread: there at once, or never. */
public final class Outcomes {

    private Outcomes() {
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
