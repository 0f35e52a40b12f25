package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.LambdaInvoker;
import dev.cumulus.model.event.FunctionFailedException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The local Invoke API, called by the invoker the commands use against Lambda. */
class LocalLambdaEndpointTest {

    @Test
    void theInvokerReachesTheFunctionsByTheirDeployedNamesAndHearsTheirErrors() throws Exception {
        List<String> called = new CopyOnWriteArrayList<>();
        try (LocalLambdaEndpoint endpoint = new LocalLambdaEndpoint((name, request) -> {
            called.add(name + " " + new String(request, StandardCharsets.UTF_8));
            if (name.equals("collect-garbage")) {
                throw new FunctionFailedException("collect-garbage: Task timed out after 900.00 seconds");
            }
            return "{\"answer\":42}".getBytes(StandardCharsets.UTF_8);
        }, "local-")) {
            try (LambdaInvoker invoker = invoker(endpoint.uri(), "local-", Optional.of("live"))) {
                assertEquals("{\"answer\":42}", new String(invoker.invoke("query-collections", "{}".getBytes(StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8));
                FunctionFailedException failed = assertThrows(FunctionFailedException.class,
                        () -> invoker.invoke("collect-garbage", "{\"action\":\"delete-dead\"}".getBytes(StandardCharsets.UTF_8)));
                assertEquals("collect-garbage: Task timed out after 900.00 seconds", failed.getMessage());
            }
            assertEquals(List.of("query-collections {}", "collect-garbage {\"action\":\"delete-dead\"}"), called);
            try (LambdaInvoker stranger = invoker(endpoint.uri(), "other-", Optional.empty())) {
                FunctionFailedException missing = assertThrows(FunctionFailedException.class,
                        () -> stranger.invoke("query-collections", new byte[0]));
                assertTrue(missing.getMessage().contains("HTTP 404") && missing.getMessage().contains("Function not found"),
                        missing.getMessage());
            }
            assertEquals(2, called.size(), "a function of another installation was called");
        }
    }

    private static LambdaInvoker invoker(URI endpoint, String prefix, Optional<String> alias) {
        return new LambdaInvoker(new AwsClients(new AwsConfig("us-east-1", Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(endpoint), Optional.empty(), prefix)), alias);
    }
}
