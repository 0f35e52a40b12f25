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

    @BeforeEach
    void start() throws Exception {
        lambda = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        lambda.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(body, StandardCharsets.UTF_8));
            byte[] answer;
            if (exchange.getRequestURI().getPath().contains("failing")) {
                exchange.getResponseHeaders().add("X-Amz-Function-Error", "Unhandled");
                answer = "{\"errorType\":\"StoreException\",\"errorMessage\":\"path '/nix/store/x' is not valid\"}"
                        .getBytes(StandardCharsets.UTF_8);
            } else {
                answer = "{\"valid\":true}".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        lambda.start();
    }

    @AfterEach
    void stop() {
        lambda.stop(0);
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
    void aFunctionErrorCarriesItsMessage() {
        try (LambdaInvoker invoker = invoker()) {
            var e = assertThrows(FunctionFailedException.class, () -> invoker.invoke("failing", new byte[] {'{', '}'}));
            assertEquals("path '/nix/store/x' is not valid", e.getMessage());
        }
    }
}
