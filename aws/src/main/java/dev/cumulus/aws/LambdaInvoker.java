package dev.cumulus.aws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.FunctionInvoker;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
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
 * Invokes the store functions deployed as Lambda functions named {@code <prefix><function>}
 * (synchronous Invoke API, SigV4-signed). The SDK's Lambda client is not in the mirror this project
 * builds from, so the one call it needs is made here over the SDK's HTTP client and signer.
 */
public final class LambdaInvoker implements FunctionInvoker, AutoCloseable {
    private final AwsClients clients;
    private final URI endpoint;
    /** A synchronous invocation answers when the function ends: at the latest at Lambda's 15 minutes. */
    private final SdkHttpClient http = AwsClients.http(java.time.Duration.ofMinutes(16));

    private final Optional<String> alias;

    /**
     * Invokes {@code <prefix><function>}, or its {@code alias} when given: the alias of a published
     * version is what SnapStart restores from a snapshot, the unqualified function starts cold.
     */
    public LambdaInvoker(AwsClients clients, Optional<String> alias) {
        this.clients = clients;
        this.alias = alias;
        this.endpoint = clients.config().lambdaEndpoint()
                .orElse(URI.create("https://lambda." + clients.config().region() + ".amazonaws.com"));
    }

    @Override
    public byte[] invoke(String functionName, byte[] request) {
        String name = clients.config().resourcePrefix() + functionName + alias.map(a -> ":" + a).orElse("");
        SdkHttpRequest unsigned = SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(endpoint)
                .encodedPath("/2015-03-31/functions/" + name + "/invocations")
                .putHeader("Content-Type", "application/json")
                .putHeader("X-Amz-Invocation-Type", "RequestResponse").build();
        AwsCredentialsIdentity credentials = clients.credentials().resolveIdentity().join();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials).request(unsigned)
                .payload(ContentStreamProvider.fromByteArray(request))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "lambda")
                .putProperty(AwsV4HttpSigner.REGION_NAME, clients.config().region()));
        try {
            HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder().request(signed.request())
                    .contentStreamProvider(signed.payload().orElse(null)).build()).call();
            byte[] body;
            try (InputStream in = response.responseBody().map(InputStream.class::cast).orElse(InputStream.nullInputStream())) {
                body = in.readAllBytes();
            }
            int status = response.httpResponse().statusCode();
            if (status != 200) {
                throw new FunctionFailedException("Lambda refused to invoke " + name + " (HTTP " + status + "): "
                        + new String(body, StandardCharsets.UTF_8));
            }
            if (response.httpResponse().firstMatchingHeader("X-Amz-Function-Error").isPresent()) {
                JsonNode error;
                try {
                    error = EventJson.read(body, JsonNode.class);
                } catch (IllegalArgumentException notJson) {
                    // A runtime that died without an error document answers with text, if anything.
                    throw new FunctionFailedException("function " + name + " failed: " + new String(body, StandardCharsets.UTF_8));
                }
                throw new FunctionFailedException(error.path("errorMessage").asText("function " + name + " failed"));
            }
            return body;
        } catch (IOException e) {
            throw new FunctionFailedException("could not reach Lambda to invoke " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
