package dev.cumulus.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cumulus.model.event.EventJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * An EventBridge event bus that events are put on ({@code PutEvents}, source {@value #SOURCE}).
 * The SDK's EventBridge client is not in the mirror this project builds from (for its SDK
 * version), so the one call is made here over the SDK's HTTP client and signer, as
 * {@link LambdaInvoker} invokes Lambda. {@code CUMULUS_EVENTS_ENDPOINT} overrides the endpoint.
 */
public final class EventBus {
    public static final String SOURCE = "cumulus";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AwsClients clients;
    private final String bus;
    private final URI endpoint;
    private final SdkHttpClient http = AwsClients.http();

    public EventBus(AwsClients clients, String bus, URI endpoint) {
        this.clients = clients;
        this.bus = bus;
        this.endpoint = endpoint;
    }

    /** The bus {@code bus} in the clients' region, or at {@code CUMULUS_EVENTS_ENDPOINT} when that is set. */
    public static EventBus of(AwsClients clients, String bus, java.util.Map<String, String> env) {
        String override = env.getOrDefault("CUMULUS_EVENTS_ENDPOINT", "");
        return new EventBus(clients, bus, override.isBlank()
                ? URI.create("https://events." + clients.config().region() + ".amazonaws.com") : URI.create(override));
    }

    /** Puts one event of {@code detailType} whose detail is {@code detail} as JSON. */
    public void put(String detailType, Object detail) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("Source", SOURCE);
        entry.put("DetailType", detailType);
        entry.put("Detail", new String(EventJson.write(detail), StandardCharsets.UTF_8));
        entry.put("EventBusName", bus);
        ObjectNode request = JSON.createObjectNode();
        request.putArray("Entries").add(entry);
        byte[] body = request.toString().getBytes(StandardCharsets.UTF_8);
        SdkHttpRequest unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(endpoint).encodedPath("/")
                .putHeader("Content-Type", "application/x-amz-json-1.1")
                .putHeader("X-Amz-Target", "AWSEvents.PutEvents").build();
        AwsCredentialsIdentity credentials = clients.credentials().resolveIdentity().join();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials).request(unsigned)
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "events")
                .putProperty(AwsV4HttpSigner.REGION_NAME, clients.config().region()));
        try {
            HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder().request(signed.request())
                    .contentStreamProvider(signed.payload().orElse(null)).build()).call();
            byte[] answer;
            try (InputStream in = response.responseBody().map(InputStream.class::cast).orElse(InputStream.nullInputStream())) {
                answer = in.readAllBytes();
            }
            int status = response.httpResponse().statusCode();
            if (status != 200) {
                throw new IllegalStateException("EventBridge refused the event (HTTP " + status + "): "
                        + new String(answer, StandardCharsets.UTF_8));
            }
            JsonNode result = JSON.readTree(answer);
            if (result.path("FailedEntryCount").asInt(0) > 0) {
                throw new IllegalStateException("EventBridge did not take the event: " + result.path("Entries"));
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not reach EventBridge at " + endpoint + ": " + e.getMessage(), e);
        }
    }
}
