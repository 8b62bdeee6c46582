package io.purekinesis.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.purekinesis.aggregation.KplVectors.KinesisRecord;
import io.purekinesis.aggregation.KplVectors.UserRecord;
import io.purekinesis.aggregation.KplVectors.VectorSet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class DecodeCliTest {

    static final List<String> FILES = KplVectors.FILES;

    private record Run(int status, String out, String err) {
    }

    @ParameterizedTest
    @FieldSource("FILES")
    void printsEveryUserRecordOfEveryVectorExactlyAsListed(String file) throws Exception {
        VectorSet set = KplVectors.load(file);
        StringBuilder input = new StringBuilder();
        List<UserRecord> expected = new ArrayList<>();
        Map<String, UserRecord> byPosition = new HashMap<>();
        for (UserRecord u : set.userRecords()) {
            byPosition.put(u.sequenceNumber() + "/" + u.subSequenceNumber(), u);
        }
        for (KinesisRecord k : set.kinesisRecords()) {
            input.append(k.partitionKey()).append('\t').append(Base64.getEncoder().encodeToString(k.data()))
                    .append('\n');
            int count = k.aggregated() ? k.userRecordIndexes().size() : 1;
            for (int sub = 0; sub < count; sub++) {
                expected.add(byPosition.get(k.sequenceNumber() + "/" + sub));
            }
        }
        Run run = run(input.toString());
        assertEquals(DecodeCli.OK, run.status(), run.err());
        String[] lines = run.out().split("\n");
        assertEquals(set.userRecords().size(), lines.length);
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < lines.length; i++) {
            JsonNode line = json.readTree(lines[i]);
            UserRecord u = expected.get(i);
            assertEquals(u.subSequenceNumber(), line.get("subSequence").asLong());
            assertEquals(u.partitionKey(), line.get("partitionKey").asText());
            assertTrue(line.get("explicitHashKey").isNull());
            assertEquals(Base64.getEncoder().encodeToString(u.data()), line.get("data").asText());
        }
    }

    @Test
    void aBareBlobPrintsAggregatedKeysAndNullForAPlainRecordsUnknownKey() throws Exception {
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("k\"1\u00e9", "42", new byte[] {1, 2});
        String aggregate = Base64.getEncoder().encodeToString(encoder.toByteArray());
        Run run = run(aggregate + "\n\n" + Base64.getEncoder().encodeToString(new byte[] {7}) + "\n");
        assertEquals(DecodeCli.OK, run.status());
        assertEquals("{\"subSequence\":0,\"partitionKey\":\"k\\\"1\u00e9\",\"explicitHashKey\":\"42\",\"data\":\"AQI=\"}\n"
                + "{\"subSequence\":0,\"partitionKey\":null,\"explicitHashKey\":null,\"data\":\"Bw==\"}\n", run.out());
    }

    @Test
    void aMalformedAggregateExitsNonZeroNamingTheLineAndTheProblem() throws Exception {
        AggregateEncoder encoder = new AggregateEncoder();
        encoder.add("k", null, new byte[] {1, 2, 3});
        byte[] bad = encoder.toByteArray();
        bad[bad.length - 1] ^= 1;
        Run run = run(Base64.getEncoder().encodeToString(new byte[] {1}) + "\n"
                + Base64.getEncoder().encodeToString(bad) + "\n");
        assertEquals(DecodeCli.MALFORMED, run.status());
        assertTrue(run.err().startsWith("line 2: DIGEST_MISMATCH"), run.err());
        assertEquals(1, run.out().split("\n").length, "records before the bad line are still printed");
    }

    @Test
    void badBase64ExitsNonZero() throws Exception {
        Run run = run("not*base64\n");
        assertEquals(DecodeCli.MALFORMED, run.status());
        assertTrue(run.err().startsWith("line 1: not valid base64"), run.err());
    }

    @Test
    void argumentsAreAUsageError() throws Exception {
        assertEquals(DecodeCli.USAGE, run("", "--help").status());
    }

    private static Run run(String stdin, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = DecodeCli.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
