package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;

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

    @Test
    void keepsWhatTheRequestAlreadyHadAndTagsOnce() {
        ApiName other = ApiName.builder().name("app").version("1").build();
        GetRecordsRequest request = GetRecordsRequest.builder().overrideConfiguration(o -> o.addApiName(other)
                .apiCallTimeout(Duration.ofSeconds(7))).build();
        GetRecordsRequest twice = AwsCalls.tagged(AwsCalls.tagged(request));
        List<ApiName> names = twice.overrideConfiguration().orElseThrow().apiNames();
        assertEquals(List.of("app", "purekinesis-consumer"), names.stream().map(ApiName::name).toList());
        assertEquals(Duration.ofSeconds(7), twice.overrideConfiguration().orElseThrow().apiCallTimeout()
                .orElseThrow());
    }
}
