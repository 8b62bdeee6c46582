package io.purekinesis.internal.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.services.kinesis.model.GetRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;

class RequestTagTest {

    private final RequestTag tag = RequestTag.forLibrary("purekinesis-test", RequestTagTest.class);

    @Test
    void readsTheVersionFromTheLibrarysPropertiesFile() {
        assertEquals("purekinesis-test", tag.name());
        assertEquals("1.2.3", tag.version());
        assertEquals("unknown", RequestTag.forLibrary("x", String.class).version(), "no library.properties");
    }

    @Test
    void tagsARequestWithTheLibrarysNameAndVersion() {
        GetRecordsRequest tagged = tag.tagged(GetRecordsRequest.builder().shardIterator("it").build());
        List<ApiName> names = tagged.overrideConfiguration().orElseThrow().apiNames();
        assertEquals(1, names.size());
        assertEquals("purekinesis-test", names.get(0).name());
        assertEquals("1.2.3", names.get(0).version());
        assertEquals("it", tagged.shardIterator());
        assertSame(tagged, tag.tagged(tagged), "already tagged: left as it is");
    }

    @Test
    void keepsWhatTheRequestAlreadyHadAndTagsOnce() {
        ApiName other = ApiName.builder().name("app").version("1").build();
        GetRecordsRequest request = GetRecordsRequest.builder().overrideConfiguration(o -> o.addApiName(other)
                .apiCallTimeout(Duration.ofSeconds(7))).build();
        GetRecordsRequest twice = tag.tagged(tag.tagged(request));
        List<ApiName> names = twice.overrideConfiguration().orElseThrow().apiNames();
        assertEquals(List.of("app", "purekinesis-test"), names.stream().map(ApiName::name).toList());
        assertEquals(Duration.ofSeconds(7), twice.overrideConfiguration().orElseThrow().apiCallTimeout()
                .orElseThrow());
    }

    @Test
    void tagsBuildersTheSameWay() {
        PutRecordsRequest plain = tag.tag(PutRecordsRequest.builder()).streamName("s").build();
        assertEquals(List.of("purekinesis-test"), plain.overrideConfiguration().orElseThrow().apiNames().stream()
                .map(ApiName::name).toList());
        PutRecordsRequest withTimeout = tag.tag(tag.tag(PutRecordsRequest.builder()
                .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(3))))).build();
        assertEquals(List.of("purekinesis-test"), withTimeout.overrideConfiguration().orElseThrow().apiNames()
                .stream().map(ApiName::name).toList());
        assertEquals(Duration.ofSeconds(3), withTimeout.overrideConfiguration().orElseThrow().apiCallTimeout()
                .orElseThrow());
    }
}
