package io.purekinesis.aggregation;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * protobuf-java's own parser for {@code aggregated_record.proto}, as the reference the hand-written codec is
 * compared with: the messages of the {@code .proto} file (read from the source tree, so the test follows the
 * contract) become descriptors at run time, and {@link DynamicMessage} parses with them exactly as generated code
 * would (required fields, unknown fields, last value wins), on whatever runtime the test runs on, without
 * generated code.
 */
final class ProtobufReference {

    static final Path PROTO_FILE = Path.of("src/main/proto/aggregated_record.proto");

    private static final Pattern MESSAGE = Pattern.compile("message\\s+(\\w+)\\s*\\{([^}]*)}");
    private static final Pattern FIELD = Pattern.compile("(required|optional|repeated)\\s+(\\w+)\\s+(\\w+)\\s*=\\s*(\\d+)\\s*;");
    private static final Map<String, FieldDescriptorProto.Type> SCALARS = Map.of(
            "string", FieldDescriptorProto.Type.TYPE_STRING,
            "bytes", FieldDescriptorProto.Type.TYPE_BYTES,
            "uint64", FieldDescriptorProto.Type.TYPE_UINT64);

    private static final FileDescriptor FILE = build();

    private ProtobufReference() {
    }

    static Descriptor message(String name) {
        Descriptor d = FILE.findMessageTypeByName(name);
        if (d == null) {
            throw new IllegalArgumentException("no message " + name + " in " + PROTO_FILE);
        }
        return d;
    }

    /** Parses a body as protobuf-java would parse an {@code AggregatedRecord}; throws as it would. */
    static DynamicMessage parse(byte[] body) throws InvalidProtocolBufferException {
        return DynamicMessage.parseFrom(message("AggregatedRecord"), body);
    }

    private static FileDescriptor build() {
        String proto;
        try {
            proto = Files.readString(PROTO_FILE);
        } catch (IOException e) {
            throw new UncheckedIOException("the test reads the contract from " + PROTO_FILE.toAbsolutePath(), e);
        }
        proto = proto.replaceAll("//[^\n]*", "");
        FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder().setName("aggregated_record.proto");
        Matcher message = MESSAGE.matcher(proto);
        while (message.find()) {
            DescriptorProto.Builder m = DescriptorProto.newBuilder().setName(message.group(1));
            Matcher field = FIELD.matcher(message.group(2));
            while (field.find()) {
                FieldDescriptorProto.Builder f = FieldDescriptorProto.newBuilder().setName(field.group(3))
                        .setNumber(Integer.parseInt(field.group(4)))
                        .setLabel(FieldDescriptorProto.Label.valueOf("LABEL_" + field.group(1).toUpperCase()));
                FieldDescriptorProto.Type scalar = SCALARS.get(field.group(2));
                if (scalar != null) {
                    f.setType(scalar);
                } else {
                    f.setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName("." + field.group(2));
                }
                m.addField(f);
            }
            file.addMessageType(m);
        }
        try {
            return FileDescriptor.buildFrom(file.build(), new FileDescriptor[0]);
        } catch (DescriptorValidationException e) {
            throw new IllegalStateException(PROTO_FILE + " did not build: " + e.getMessage(), e);
        }
    }
}
