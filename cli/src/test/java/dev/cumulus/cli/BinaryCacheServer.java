package dev.cumulus.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * Binary caches that {@code nix copy --to file://…} wrote, served over HTTP on 127.0.0.1 as any
 * static web server would (GET and HEAD; 404 for what is not there), each folder under its own
 * name: {@code http://127.0.0.1:PORT/NAME/…}. A key can be made to fail with a status of its own.
 */
final class BinaryCacheServer implements AutoCloseable {
    private final HttpServer server;
    private final Path root;
    final Map<String, Integer> failing = new ConcurrentHashMap<>();

    BinaryCacheServer(Path root) throws IOException {
        this.root = root;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            String key = exchange.getRequestURI().getPath().substring(1);
            Path file = root.resolve(key).normalize();
            Integer status = failing.get(key);
            if (status == null && (!file.startsWith(root) || !Files.isRegularFile(file))) {
                status = 404;
            }
            if (status != null) {
                exchange.sendResponseHeaders(status, -1);
            } else if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().add("Content-Length", Long.toString(Files.size(file)));
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(200, Files.size(file));
                try (OutputStream out = exchange.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
            exchange.close();
        });
        server.start();
    }

    /** The URL of the cache in folder {@code name}. */
    String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    Path folder(String name) {
        return root.resolve(name);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
