package dev.cumulus.infra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * moto's server, the AWS emulator the infra tests create real resources in: started on a port the
 * system chooses (moto names it in its log, so nothing can take it in between), stopped on close.
 */
final class MotoServer implements AutoCloseable {
    private static final Pattern RUNNING = Pattern.compile("Running on (http://127\\.0\\.0\\.1:\\d+)");

    private final Process process;
    private final Path log;
    private final URI endpoint;

    MotoServer(Path dir) throws Exception {
        Path motoServer = Synthesised.required("moto_server");
        log = dir.resolve("moto.log");
        process = new ProcessBuilder(motoServer.toString(), "-H", "127.0.0.1", "-p", "0")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        endpoint = awaitUp();
    }

    URI endpoint() {
        return endpoint;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    private URI awaitUp() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (Instant until = Instant.now().plusSeconds(30); Instant.now().isBefore(until) && process.isAlive();
                 Thread.sleep(200)) {
                Matcher m = RUNNING.matcher(Files.readString(log));
                if (!m.find()) {
                    continue;
                }
                URI uri = URI.create(m.group(1));
                try {
                    http.send(HttpRequest.newBuilder(uri.resolve("/moto-api/")).build(), HttpResponse.BodyHandlers.discarding());
                    return uri;
                } catch (IOException notYet) {
                    // starting
                }
            }
        }
        process.destroy();
        throw new AssertionError("moto_server did not start: " + Files.readString(log));
    }

    @Override
    public void close() {
        process.destroy();
    }
}
