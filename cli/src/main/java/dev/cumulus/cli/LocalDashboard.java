package dev.cumulus.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cumulus.functions.dashboard.Dashboard;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;

/**
 * The dashboard over HTTP on loopback, for {@code cumulus local}: each request to {@link Dashboard},
 * whose {@code /metrics} is this process's (the functions and the proxy run here). As the other
 * local endpoints, it answers loopback only and asks nobody who they are.
 */
final class LocalDashboard implements AutoCloseable {
    private final HttpServer server;
    private final Dashboard dashboard;

    LocalDashboard(Dashboard dashboard, int port) throws IOException {
        this.dashboard = dashboard;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            URI uri = exchange.getRequestURI();
            Dashboard.Response r = dashboard.handle(new Dashboard.Request(exchange.getRequestMethod(), uri.getPath(),
                    Dashboard.Request.parseQuery(uri.getRawQuery())));
            r.allHeaders().forEach(exchange.getResponseHeaders()::set);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(r.status(), head || r.body().length == 0 ? -1 : r.body().length);
            if (!head && r.body().length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(r.body());
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
