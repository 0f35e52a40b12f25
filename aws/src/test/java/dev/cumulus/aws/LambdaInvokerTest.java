package dev.cumulus.aws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.cumulus.model.event.FunctionFailedException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Lambda itself cannot run here, so this checks the invoker against an HTTP endpoint that answers
 * as Lambda's Invoke API does: the request it sends, and how it reads success and function errors.
 */
class LambdaInvokerTest {
    private HttpServer lambda;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    /** Each request's signature, recomputed here from what arrived (null: it matched the header's). */
    private final List<String> badSignatures = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        lambda = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        lambda.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(body, StandardCharsets.UTF_8));
            String mismatch = SigV4.mismatch(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestHeaders(), body, "cumulus", "cumulus", "eu-west-1", "lambda");
            if (mismatch != null) {
                badSignatures.add(mismatch);
            }
            String path = exchange.getRequestURI().getPath();
            byte[] answer;
            int status = 200;
            if (path.contains("failing")) {
                exchange.getResponseHeaders().add("X-Amz-Function-Error", "Unhandled");
                answer = "{\"errorType\":\"StoreException\",\"errorMessage\":\"path '/nix/store/x' is not valid\"}"
                        .getBytes(StandardCharsets.UTF_8);
            } else if (path.contains("crashing")) {
                // A runtime that died without an error document (out of memory, a timeout).
                exchange.getResponseHeaders().add("X-Amz-Function-Error", "Unhandled");
                answer = (path.contains("json") ? "{\"errorType\":\"Runtime.ExitError\"}" : "RequestId: 1 Error: Runtime exited")
                        .getBytes(StandardCharsets.UTF_8);
            } else if (path.contains("throttled")) {
                status = 429;
                answer = "{\"Type\":\"User\",\"message\":\"Rate Exceeded.\"}".getBytes(StandardCharsets.UTF_8);
            } else {
                answer = "{\"valid\":true}".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        lambda.start();
    }

    @AfterEach
    void stop() {
        lambda.stop(0);
        assertEquals(List.of(), badSignatures, "every request carried the signature SigV4 gives it");
    }

    private LambdaInvoker invoker() {
        return invoker(Optional.empty());
    }

    private LambdaInvoker invoker(Optional<String> alias) {
        URI endpoint = URI.create("http://127.0.0.1:" + lambda.getAddress().getPort());
        return new LambdaInvoker(new AwsClients(new AwsConfig("eu-west-1", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(endpoint), Optional.empty(), "prod-")), alias);
    }

    @Test
    void invokesTheAliasWhenOneIsConfigured() {
        try (LambdaInvoker invoker = invoker(Optional.of("live"))) {
            invoker.invoke("query-path-info", "{}".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(seen.get(0).startsWith("POST /2015-03-31/functions/prod-query-path-info:live/invocations "), seen.get(0));
    }

    @Test
    void invokesTheNamedFunctionWithASignedRequest() {
        try (LambdaInvoker invoker = invoker()) {
            byte[] answer = invoker.invoke("is-valid-path", "{\"path\":\"/nix/store/x\"}".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals("{\"valid\":true}".getBytes(StandardCharsets.UTF_8), answer);
        }
        String request = seen.get(0);
        assertTrue(request.startsWith("POST /2015-03-31/functions/prod-is-valid-path/invocations AWS4-HMAC-SHA256 "
                + "Credential=cumulus/"), request);
        assertTrue(request.contains("/eu-west-1/lambda/aws4_request"), request);
        assertTrue(request.endsWith("{\"path\":\"/nix/store/x\"}"), request);
    }

    @Test
    void lambdasRefusalIsAFunctionFailureNamingTheFunctionAndTheStatus() {
        try (LambdaInvoker invoker = invoker()) {
            var e = assertThrows(FunctionFailedException.class, () -> invoker.invoke("throttled", new byte[] {'{', '}'}));
            assertEquals("Lambda refused to invoke prod-throttled (HTTP 429): {\"Type\":\"User\",\"message\":\"Rate Exceeded.\"}",
                    e.getMessage());
        }
    }

    @Test
    void aFunctionThatDiedWithoutAnErrorMessageStillFailsClearly() {
        try (LambdaInvoker invoker = invoker()) {
            var json = assertThrows(FunctionFailedException.class, () -> invoker.invoke("crashing-json", new byte[] {'{', '}'}));
            assertEquals("function prod-crashing-json failed", json.getMessage());
            var text = assertThrows(FunctionFailedException.class, () -> invoker.invoke("crashing", new byte[] {'{', '}'}));
            assertEquals("function prod-crashing failed: RequestId: 1 Error: Runtime exited", text.getMessage());
        }
    }

    @Test
    void anUnreachableEndpointIsAFunctionFailureNotAHang() throws Exception {
        int closed;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        try (LambdaInvoker invoker = new LambdaInvoker(new AwsClients(new AwsConfig("eu-west-1", Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.of(URI.create("http://127.0.0.1:" + closed)), Optional.empty(),
                "prod-")), Optional.empty())) {
            var e = assertThrows(FunctionFailedException.class, () -> invoker.invoke("is-valid-path", new byte[] {'{', '}'}));
            assertTrue(e.getMessage().startsWith("could not reach Lambda to invoke prod-is-valid-path: "), e.getMessage());
        }
    }

    @Test
    void aFunctionErrorCarriesItsMessage() {
        try (LambdaInvoker invoker = invoker()) {
            var e = assertThrows(FunctionFailedException.class, () -> invoker.invoke("failing", new byte[] {'{', '}'}));
            assertEquals("path '/nix/store/x' is not valid", e.getMessage());
        }
    }
}
