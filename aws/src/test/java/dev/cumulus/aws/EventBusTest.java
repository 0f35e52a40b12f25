package dev.cumulus.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * EventBridge cannot run here, so this checks the bus against an HTTP endpoint that answers as
 * PutEvents does: the request it sends, and how it reads an event refused whole or in part.
 */
class EventBusTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer events;
    private final List<String> headers = new CopyOnWriteArrayList<>();
    private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String answer = "{\"FailedEntryCount\":0,\"Entries\":[{\"EventId\":\"e-1\"}]}";

    @BeforeEach
    void start() throws Exception {
        events = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        events.createContext("/", exchange -> {
            headers.add(exchange.getRequestHeaders().getFirst("X-Amz-Target") + " "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            bodies.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        events.start();
    }

    @AfterEach
    void stop() {
        events.stop(0);
    }

    private EventBus bus() {
        URI endpoint = URI.create("http://127.0.0.1:" + events.getAddress().getPort());
        // An emulated installation (an endpoint set), so that the placeholder credentials sign.
        AwsClients clients = new AwsClients(new AwsConfig("eu-west-1", Optional.empty(), Optional.of(endpoint), Optional.empty(),
                Optional.empty(), Optional.empty(), "prod-"));
        return EventBus.of(clients, "default", Map.of("CUMULUS_EVENTS_ENDPOINT", endpoint.toString()));
    }

    @Test
    void putsOneSignedEntryWithTheDetailAsJson() throws Exception {
        bus().put("Cumulus Build Finished", Map.of("submission", "s-1", "status", "built"));
        assertTrue(headers.get(0).startsWith("AWSEvents.PutEvents AWS4-HMAC-SHA256 "), headers.get(0));
        assertTrue(headers.get(0).contains("/eu-west-1/events/aws4_request"), headers.get(0));
        JsonNode entry = bodies.get(0).path("Entries").get(0);
        assertEquals(EventBus.SOURCE, entry.path("Source").asText());
        assertEquals("Cumulus Build Finished", entry.path("DetailType").asText());
        assertEquals("default", entry.path("EventBusName").asText());
        JsonNode detail = JSON.readTree(entry.path("Detail").asText());
        assertEquals("s-1", detail.path("submission").asText());
        assertEquals("built", detail.path("status").asText());
    }

    @Test
    void anEventRefusedWholeOrInPartIsAnError() {
        status = 400;
        answer = "{\"__type\":\"ValidationException\",\"message\":\"bad detail\"}";
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> bus().put("X", Map.of()));
        assertTrue(refused.getMessage().contains("HTTP 400") && refused.getMessage().contains("bad detail"),
                refused.getMessage());
        status = 200;
        answer = "{\"FailedEntryCount\":1,\"Entries\":[{\"ErrorCode\":\"InternalFailure\"}]}";
        IllegalStateException failed = assertThrows(IllegalStateException.class, () -> bus().put("X", Map.of()));
        assertTrue(failed.getMessage().contains("InternalFailure"), failed.getMessage());
    }
}
