package io.purekinesis.testkit;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

final class Futures {

    private Futures() {
    }

    /** Waits and rethrows the SDK's own exception, so callers can catch e.g. ResourceNotFoundException. */
    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw e;
        }
    }
}
