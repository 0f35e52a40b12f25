package dev.cumulus.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The runner's scale-in protection against an HTTP server that answers as the ECS container agent's
 * task-protection endpoint does (the agent itself runs only inside ECS).
 */
class ScaleInProtectionTest {
    @Test
    void protectedFromTheFirstBuildsStartUntilTheLastOneEndsAndRenewedMeanwhile() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        HttpServer agent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        agent.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = "{\"protection\":{\"ProtectionEnabled\":true}}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        agent.start();
        URI uri = URI.create("http://127.0.0.1:" + agent.getAddress().getPort() + "/api/task-1");
        String on = "PUT /api/task-1/task-protection/v1/state {\"ProtectionEnabled\":true,\"ExpiresInMinutes\":60}";
        String off = "PUT /api/task-1/task-protection/v1/state {\"ProtectionEnabled\":false}";
        try (var protection = new ScaleInProtection.EcsTaskProtection(uri, Duration.ofMinutes(60), Duration.ofMillis(300))) {
            protection.acquire(); // first build
            protection.acquire(); // a second job's build: already protected
            assertEquals(List.of(on), requests);
            protection.release(); // one build still runs
            Thread.sleep(1000);
            assertTrue(requests.size() >= 3 && requests.stream().allMatch(on::equals), "renewed while building: " + requests);
            protection.release();
            int before = requests.size();
            Thread.sleep(700);
            assertEquals(off, requests.getLast(), "released when the last build ended");
            assertEquals(before, requests.size(), "and no longer renewed");
            protection.release(); // an extra release does nothing
            assertEquals(before, requests.size());
        } finally {
            agent.stop(0);
        }
    }

    @Test
    void noAgentNoProtectionAndAnAgentThatFailsFailsNoBuild() {
        ScaleInProtection none = ScaleInProtection.fromEnvironment(Map.of());
        none.acquire();
        none.release();
        // An agent that is not there: logged, not thrown.
        try (var unreachable = ScaleInProtection.fromEnvironment(Map.of("ECS_AGENT_URI", "http://127.0.0.1:9/api"))) {
            unreachable.acquire();
            unreachable.release();
        }
    }
}
