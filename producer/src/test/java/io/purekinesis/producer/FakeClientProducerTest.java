package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;

/** What the tests of a producer on a {@link FakeKinesisClient} share: dead letters kept, fast retries, closed after. */
abstract class FakeClientProducerTest {

    protected final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();
    protected KinesisProducer producer;

    @AfterEach
    void closeProducer() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    /** Dead letters into {@link #deadLetters}, retries after 1-2 ms. */
    protected ProducerConfig.Builder config(FakeKinesisClient fake) {
        return ProducerConfig.builder().kinesisClient(fake).deadLetterHandler(deadLetters::add)
                .retryBaseDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(2));
    }

    /** The future's failure, waited for generously. */
    protected static RecordFailedException failure(CompletableFuture<?> f) {
        return assertInstanceOf(RecordFailedException.class,
                assertThrows(ExecutionException.class, () -> Await.get(f)).getCause());
    }
}
