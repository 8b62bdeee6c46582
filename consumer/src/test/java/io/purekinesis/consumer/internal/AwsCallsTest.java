package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;

/** The consumer's name and version on its requests (how a tag is added: common's RequestTagTest). */
class AwsCallsTest {

    @Test
    void tagsARequestWithTheLibrarysNameAndVersion() {
        GetRecordsRequest tagged = AwsCalls.tagged(GetRecordsRequest.builder().shardIterator("it").build());
        List<ApiName> names = tagged.overrideConfiguration().orElseThrow().apiNames();
        assertEquals(1, names.size());
        assertEquals("purekinesis-consumer", names.get(0).name());
        assertEquals(AwsCalls.VERSION, names.get(0).version());
        assertTrue(AwsCalls.VERSION.matches("[0-9]+\\.[0-9]+\\.[0-9]+.*"), "from the build: " + AwsCalls.VERSION);
        assertEquals("it", tagged.shardIterator());
    }
}
