package io.purekinesis.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@link LocalKinesis.Builder} collected, frozen. Null paths and port 0 mean "choose at start". */
record KinesisLocalSettings(
        Path mainJs,
        Path installDir,
        int plainPort,
        int tlsPort,
        Path dataDir,
        Path logDir,
        boolean persistData,
        Duration persistInterval,
        Duration operationDelay,
        String logLevel,
        Duration startupTimeout,
        Map<String, String> extraEnvironment) {

    /** The emulator's settings that govern how long a stream or consumer stays in a transitional state. */
    private static final List<String> DURATION_VARIABLES = List.of(
            "CREATE_STREAM_DURATION", "DELETE_STREAM_DURATION", "SPLIT_SHARD_DURATION", "MERGE_SHARDS_DURATION",
            "UPDATE_SHARD_COUNT_DURATION", "REGISTER_STREAM_CONSUMER_DURATION", "DEREGISTER_STREAM_CONSUMER_DURATION",
            "START_STREAM_ENCRYPTION_DURATION", "STOP_STREAM_ENCRYPTION_DURATION", "UPDATE_STREAM_MODE_DURATION");

    KinesisLocalSettings {
        extraEnvironment = Map.copyOf(extraEnvironment);
    }

    Map<String, String> environment(int plain, int tls, Path packageDir, Path persistDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(plain));
        env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(tls));
        // Without it the emulator looks for server.json in its working directory and exits at once.
        env.put("KINESIS_MOCK_CERT_PATH", packageDir.resolve("server.json").toString());
        // Our clients use us-east-1; an AWS_REGION inherited from the developer's shell must not move the default.
        env.put("AWS_REGION", Clients.REGION.id());
        for (String name : DURATION_VARIABLES) {
            env.put(name, millis(operationDelay));
        }
        env.put("LOG_LEVEL", logLevel);
        env.put("SHOULD_PERSIST_DATA", Boolean.toString(persistData));
        if (persistData) {
            env.put("PERSIST_PATH", persistDir.toString());
            env.put("PERSIST_INTERVAL", millis(persistInterval));
            env.put("LOAD_DATA_IF_EXISTS", "true");
        }
        env.putAll(extraEnvironment);
        return env;
    }

    private static String millis(Duration duration) {
        return duration.toMillis() + "ms";
    }
}
