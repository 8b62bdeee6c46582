package io.purekinesis.producer;

import io.purekinesis.testkit.Await;
import java.util.Arrays;

/**
 * Waits on the producer's own positive events (sender passes, answers handled, the sender thread ended), beside the
 * test kit's {@link Await}. A test that checks that something did not happen first waits here for proof that it had
 * its chance (the sender loop passed that point, the call's answer was handled), never for an amount of time.
 */
final class SenderAwait {

    private SenderAwait() {
    }

    /**
     * Waits until the sender loop has run {@code n} whole passes that began after this call. A pass sends
     * synchronously whatever it drains (the SDK call is made on the loop thread), and takes in a flush requested
     * before it began: after this returns, anything the sender would send now, it has sent.
     */
    static void senderPasses(KinesisProducer producer, int n) throws InterruptedException {
        // The pass counted now may have begun before this call: it is not one of the n.
        long target = producer.sender().passes() + n + 1;
        Await.until(n + " sender passes", () -> producer.sender().passes() >= target);
    }

    /**
     * Waits until at most {@code inFlight} PutRecords calls are outstanding: every other call made so far was
     * answered and its answer fully handled (records decided, retries queued), since the sender counts a call until
     * its result handler returned.
     */
    static void callsHandled(KinesisProducer producer, int inFlight) throws InterruptedException {
        Await.until("PutRecords answers handled, " + inFlight + " still in flight",
                () -> producer.sender().inFlightRequests() <= inFlight);
    }

    /** The sender thread of the producer named {@code producerName} (set in its config), or null if it ended. */
    static Thread senderThread(String producerName) {
        String name = "purekinesis-producer-" + producerName + "-sender";
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElse(null);
    }

    /** Waits until the sender thread of the producer named {@code producerName} ended. */
    static void senderEnded(String producerName) throws InterruptedException {
        Thread t = senderThread(producerName);
        if (t != null) {
            t.join(Await.DEADLINE.toMillis());
            if (t.isAlive()) {
                throw new AssertionError("sender thread " + t.getName() + " still running after "
                        + Await.DEADLINE.toSeconds() + " s: " + Arrays.toString(t.getStackTrace()));
            }
        }
    }

}
