package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An HTTP binary cache as a walk meets it: many small files, some absent, over few connections. */
class HttpCacheSourceTest {
    private HttpServer server;
    /** The client ports the server saw: one per connection. */
    private final Set<Integer> connections = ConcurrentHashMap.newKeySet();
    private HttpCacheSource source;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            connections.add(exchange.getRemoteAddress().getPort());
            String name = exchange.getRequestURI().getPath();
            byte[] body = ("contents of " + name).getBytes(StandardCharsets.UTF_8);
            int status = name.contains("absent") ? 404 : name.contains("broken") ? 500 : 200;
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        source = new HttpCacheSource(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/cache"),
                Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void answersAndAbsencesReuseOneConnection() throws IOException {
        for (int i = 0; i < 20; i++) {
            Optional<InputStream> found = source.open("present-" + i + ".narinfo");
            try (InputStream in = found.orElseThrow()) {
                assertEquals("contents of /cache/present-" + i + ".narinfo", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertTrue(source.open("absent-" + i + ".narinfo").isEmpty());
        }
        assertEquals(1, connections.size(), "connections: " + connections);
        IOException broken = assertThrows(IOException.class, () -> source.open("broken.narinfo"));
        assertTrue(broken.getMessage().contains("answered HTTP 500"), broken.getMessage());
    }
}
