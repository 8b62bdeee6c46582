package io.purekinesis.benchmarks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The two encodings of the Kinesis protocol the SDK v2 speaks: CBOR ({@code application/x-amz-cbor-1.1}, its default
 * for Kinesis, what users get against AWS) and JSON ({@code application/x-amz-json-1.1}, with
 * {@code aws.cborEnabled=false}; what KPL's native daemon always speaks). Both have the same fields, so
 * {@link PutRecordsSink} reads and writes them through one Jackson streaming API ({@code CBORFactory} is a
 * {@code JsonFactory}); only what the encodings do differently lives here: record data (a Base64 string in JSON, a
 * byte string in CBOR) and timestamps (epoch seconds in JSON; in CBOR, tag 1 on epoch <em>milliseconds</em>, which is
 * what the SDK writes and the only thing its CBOR unmarshaller reads: {@code getLongValue()} as milliseconds).
 */
enum WireProtocol {

    CBOR("application/x-amz-cbor-1.1", new CBORFactory()) {
        @Override
        long dataLength(JsonParser p) throws IOException {
            // The SDK writes Data as a definite-length byte string; read past it without keeping a copy.
            return p.readBinaryValue(OutputStream.nullOutputStream());
        }

        @Override
        void writeTimestampField(JsonGenerator g, String name, long epochSeconds) throws IOException {
            g.writeFieldName(name);
            ((CBORGenerator) g).writeTag(1);
            g.writeNumber(epochSeconds * 1000);
        }
    },

    JSON("application/x-amz-json-1.1", new JsonFactory()) {
        @Override
        long dataLength(JsonParser p) throws IOException {
            // Decoded length of the Base64 string token, without decoding it.
            char[] chars = p.getTextCharacters();
            int off = p.getTextOffset();
            int len = p.getTextLength();
            int pad = 0;
            if (len > 0 && chars[off + len - 1] == '=') {
                pad++;
                if (len > 1 && chars[off + len - 2] == '=') {
                    pad++;
                }
            }
            return (long) len / 4 * 3 - pad;
        }

        @Override
        void writeTimestampField(JsonGenerator g, String name, long epochSeconds) throws IOException {
            g.writeNumberField(name, (double) epochSeconds);
        }
    };

    private final String contentType;
    private final JsonFactory factory;

    WireProtocol(String contentType, JsonFactory factory) {
        this.contentType = contentType;
        this.factory = factory;
    }

    /** The request's protocol by its {@code Content-Type}; JSON when absent or unknown (as the sink always assumed). */
    static WireProtocol ofContentType(String contentType) {
        return contentType != null && contentType.startsWith(CBOR.contentType) ? CBOR : JSON;
    }

    /** {@code cbor} or {@code json}, as the benchmarks' {@code --protocol} option takes it. */
    static WireProtocol parse(String option) {
        return switch (option.toLowerCase(Locale.ROOT)) {
            case "cbor" -> CBOR;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException("--protocol must be cbor or json, was " + option);
        };
    }

    String contentType() {
        return contentType;
    }

    /** Thread-safe; one per protocol. */
    JsonFactory factory() {
        return factory;
    }

    /** Size of the current {@code Data} value once decoded, read without decoding it when the encoding allows. */
    abstract long dataLength(JsonParser p) throws IOException;

    /** A timestamp member (such as {@code StreamCreationTimestamp}) as the SDK's unmarshaller for it reads it. */
    abstract void writeTimestampField(JsonGenerator g, String name, long epochSeconds) throws IOException;

    /** The value of {@code aws.cborEnabled} that makes the SDK speak this protocol. */
    private String cborEnabledProperty() {
        return String.valueOf(this == CBOR);
    }

    /**
     * Builds an SDK client that speaks this protocol. The Kinesis client reads {@code aws.cborEnabled} once, when it
     * is built (its protocol factory's builder), so the property is set around {@code build} and restored, under a
     * lock so that two threads building clients cannot see each other's setting.
     */
    <T> T buildClient(Supplier<T> build) {
        synchronized (WireProtocol.class) {
            String previous = System.getProperty("aws.cborEnabled");
            System.setProperty("aws.cborEnabled", cborEnabledProperty());
            try {
                return build.get();
            } finally {
                if (previous == null) {
                    System.clearProperty("aws.cborEnabled");
                } else {
                    System.setProperty("aws.cborEnabled", previous);
                }
            }
        }
    }
}
