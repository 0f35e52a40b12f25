package dev.cumulus.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.FunctionInvoker;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * Lambda's synchronous Invoke API on loopback, for {@code cumulus local}: the commands that call the
 * store functions ({@code cumulus gc}, {@code verify}, {@code roots}, {@code builds}, {@code build})
 * reach them where they run, in the local stack's process and under its timeouts, through the same
 * {@code LambdaInvoker} they use against AWS. As the other emulators, it answers loopback only and
 * does not check signatures.
 */
final class LocalLambdaEndpoint implements AutoCloseable {
    private static final String PATH = "/2015-03-31/functions/";
    private static final String INVOCATIONS = "/invocations";

    private final HttpServer server;
    private final FunctionInvoker functions;
    private final String prefix;

    /** Serves {@code functions}, named {@code prefix + name} as deployed ones are, on a free loopback port. */
    LocalLambdaEndpoint(FunctionInvoker functions, String prefix) throws IOException {
        this.functions = functions;
        this.prefix = prefix;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext(PATH, this::invoke);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void invoke(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!exchange.getRequestMethod().equals("POST") || !path.endsWith(INVOCATIONS)) {
                reply(exchange, 404, Map.of(), error("ResourceNotFoundException", "no such operation: "
                        + exchange.getRequestMethod() + " " + path));
                return;
            }
            String qualified = path.substring(PATH.length(), path.length() - INVOCATIONS.length());
            int colon = qualified.indexOf(':');
            String deployed = colon < 0 ? qualified : qualified.substring(0, colon); // any alias: the one version
            if (!deployed.startsWith(prefix)) {
                reply(exchange, 404, Map.of(), error("ResourceNotFoundException", "Function not found: " + qualified));
                return;
            }
            byte[] request;
            try (InputStream in = exchange.getRequestBody()) {
                request = in.readAllBytes();
            }
            byte[] response;
            try {
                response = functions.invoke(deployed.substring(prefix.length()), request);
            } catch (FunctionFailedException e) {
                // As Lambda answers a function's error: 200, with the error document and its header.
                reply(exchange, 200, Map.of("X-Amz-Function-Error", "Unhandled"),
                        error("FunctionFailedException", String.valueOf(e.getMessage())));
                return;
            }
            reply(exchange, 200, Map.of(), response);
        }
    }

    private static byte[] error(String type, String message) {
        return EventJson.write(Map.of("errorType", type, "errorMessage", message));
    }

    private static void reply(HttpExchange exchange, int status, Map<String, String> headers, byte[] body)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
