package dev.cumulus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * How to reach a running installation's AWS services and functions, as environment variables
 * ({@code CUMULUS_DYNAMODB_ENDPOINT}, …). {@code cumulus local} writes them to {@code STATE_DIR/stack.env}
 * so that other commands ({@code build}, {@code builds}) and its runners reach the same stack; against
 * AWS they come from the real environment alone.
 */
final class StackEnvironment {
    static final String FILE = "stack.env";

    private StackEnvironment() {}

    static void write(Path stateDir, Map<String, String> env) throws IOException {
        StringBuilder sb = new StringBuilder("# Written by cumulus local: how to reach this local stack.\n");
        new TreeMap<>(env).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Files.writeString(stateDir.resolve(FILE), sb.toString());
    }

    /** The process's environment, with {@code STATE_DIR/stack.env} over it when that exists. */
    static Map<String, String> read(Path stateDir) throws IOException {
        Map<String, String> env = new HashMap<>(System.getenv());
        Path file = stateDir.resolve(FILE);
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                int eq = line.indexOf('=');
                if (!line.startsWith("#") && eq > 0) {
                    env.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        return env;
    }
}
