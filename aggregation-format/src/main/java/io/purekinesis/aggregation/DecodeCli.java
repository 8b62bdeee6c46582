package io.purekinesis.aggregation;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Command-line decoder for people debugging a stream. Reads one Kinesis record's data per line on stdin, as
 * base64, optionally preceded by the record's partition key and a tab; prints each user record as one JSON
 * line: {@code {"subSequence":0,"partitionKey":"k","explicitHashKey":null,"data":"<base64>"}}.
 *
 * <p>Exit status: 0 when every line decoded, 1 on the first malformed line (the message names the line and
 * what is wrong), 2 on a usage error.
 */
public final class DecodeCli {

    static final int OK = 0;
    static final int MALFORMED = 1;
    static final int USAGE = 2;

    private DecodeCli() {
    }

    /**
     * Decodes the Kinesis records given one per line on standard input (base64, optionally after a partition key and
     * a tab) and prints each user record as a JSON line; exits with 0, 1 on malformed input (naming the line and the
     * problem) or 2 on bad arguments.
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        int status = run(args, System.in, out, System.err);
        out.flush();
        System.exit(status);
    }

    static int run(String[] args, InputStream in, OutputStream stdout, PrintStream err) {
        if (args.length > 0) {
            err.println("usage: java -jar purekinesis-aggregation-format-<version>-cli.jar < blobs.txt");
            err.println("  each input line: <base64 data> or <partition key><TAB><base64 data>");
            return USAGE;
        }
        PrintStream out = new PrintStream(stdout, false, StandardCharsets.UTF_8);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int lineNumber = 0;
        try {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                for (DecodedRecord record : decodeLine(line)) {
                    out.println(toJson(record));
                }
            }
            return OK;
        } catch (IllegalArgumentException | MalformedAggregateException e) {
            out.flush();
            err.println("line " + lineNumber + ": " + e.getMessage());
            return MALFORMED;
        } catch (IOException e) {
            err.println("cannot read stdin: " + e.getMessage());
            return MALFORMED;
        } finally {
            out.flush();
        }
    }

    private static List<DecodedRecord> decodeLine(String line) {
        int tab = line.indexOf('\t');
        String partitionKey = tab >= 0 ? line.substring(0, tab) : null;
        String base64 = (tab >= 0 ? line.substring(tab + 1) : line).strip();
        byte[] data;
        try {
            data = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not valid base64: " + e.getMessage(), e);
        }
        return AggregateDecoder.decode(data, partitionKey, null);
    }

    static String toJson(DecodedRecord record) {
        StringBuilder json = new StringBuilder(64 + record.data().length * 4 / 3);
        json.append("{\"subSequence\":").append(record.subSequenceNumber());
        json.append(",\"partitionKey\":");
        appendString(json, record.partitionKey());
        json.append(",\"explicitHashKey\":");
        appendString(json, record.explicitHashKey());
        json.append(",\"data\":\"").append(Base64.getEncoder().encodeToString(record.data())).append("\"}");
        return json.toString();
    }

    private static void appendString(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !validPairAt(value, i)) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    private static boolean validPairAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
