package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DynamoDB under pressure, which DynamoDB Local never is: between the store's client (built as
 * production builds it, {@link AwsClients}) and DynamoDB Local stands an endpoint that answers the
 * first transactions itself, as DynamoDB does when an index cannot keep up (TransactionCanceled
 * with ThrottlingError reasons, which the SDK does not retry), and the first batch read with every
 * key unprocessed; neither reaches DynamoDB Local. Cumulus's own retries ({@code PathRegistration},
 * {@code BatchCalls}, with {@code BatchBackoff}) must carry the registration through, writing it once.
 */
@ExtendWith(LocalStackExtension.class)
class ThrottlingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NOT_FORWARDED = Set.of("Host", "Connection", "Content-Length", "Expect", "Upgrade");

    /** Forwards to DynamoDB Local, but for the calls it answers itself. */
    static final class PressureEndpoint implements AutoCloseable {
        final AtomicInteger throttle = new AtomicInteger(2);
        final AtomicInteger unprocess = new AtomicInteger(1);
        final AtomicInteger transactionsAnswered = new AtomicInteger();
        final AtomicInteger transactionsForwarded = new AtomicInteger();
        final AtomicInteger batchReadsAnswered = new AtomicInteger();
        final AtomicInteger batchReadsForwarded = new AtomicInteger();
        private final HttpServer server;
        private final HttpClient http = HttpClient.newHttpClient();
        private final URI dynamoDb;

        PressureEndpoint(URI dynamoDb) throws IOException {
            this.dynamoDb = dynamoDb;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::handle);
            server.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        private void handle(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
            if (target.endsWith(".TransactWriteItems")) {
                if (throttle.getAndDecrement() > 0) {
                    transactionsAnswered.incrementAndGet();
                    int items = JSON.readTree(body).path("TransactItems").size();
                    StringBuilder reasons = new StringBuilder("[{\"Code\":\"ThrottlingError\",\"Message\":\"Throughput exceeds "
                            + "the current capacity for one or more global secondary indexes.\"}");
                    for (int i = 1; i < items; i++) {
                        reasons.append(",{\"Code\":\"None\"}");
                    }
                    reasons.append(']');
                    answer(exchange, 400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\","
                            + "\"Message\":\"Transaction cancelled, please refer cancellation reasons for specific reasons "
                            + "[ThrottlingError]\",\"CancellationReasons\":" + reasons + "}");
                    return;
                }
                transactionsForwarded.incrementAndGet();
            } else if (target.endsWith(".BatchGetItem")) {
                if (unprocess.getAndDecrement() > 0) {
                    batchReadsAnswered.incrementAndGet();
                    JsonNode request = JSON.readTree(body);
                    answer(exchange, 200, "{\"Responses\":{},\"UnprocessedKeys\":" + request.path("RequestItems") + "}");
                    return;
                }
                batchReadsForwarded.incrementAndGet();
            }
            HttpRequest.Builder forward = HttpRequest.newBuilder(dynamoDb.resolve(exchange.getRequestURI().getRawPath()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (NOT_FORWARDED.stream().noneMatch(name::equalsIgnoreCase)) {
                    values.forEach(v -> forward.header(name, v));
                }
            });
            try {
                HttpResponse<byte[]> r = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                r.headers().firstValue("Content-Type").ifPresent(t -> exchange.getResponseHeaders().add("Content-Type", t));
                exchange.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                exchange.getResponseBody().write(r.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(500, -1);
            } finally {
                exchange.close();
            }
        }

        private static void answer(HttpExchange exchange, int status, String json) throws IOException {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
            exchange.sendResponseHeaders(status, b.length);
            exchange.getResponseBody().write(b);
            exchange.close();
        }

        @Override
        public void close() {
            server.stop(0);
            http.close();
        }
    }

    @Test
    void throttledTransactionsAndUnprocessedReadsAreRetriedByCumulusAndWrittenOnce(LocalStack stack) throws Exception {
        AwsConfig local = stack.config();
        try (PressureEndpoint pressure = new PressureEndpoint(local.dynamoDbEndpoint().orElseThrow())) {
            AwsConfig config = new AwsConfig(local.region(), Optional.of(pressure.uri()), local.sqsEndpoint(),
                    local.s3Endpoint(), Optional.empty(), Optional.empty(), local.resourcePrefix());
            AwsClients clients = new AwsClients(config);
            FunctionsConfig functions = new FunctionsConfig(STORE, config.resourcePrefix(),
                    List.of(TestStore.TRUSTED.publicKey()), List.of());
            StoreTables tables = StoreTables.of(clients.dynamoDb(), config.resourcePrefix(), STORE);
            dev.cumulus.aws.S3Bucket bucket = new dev.cumulus.aws.S3Bucket(stack.clients().s3(),
                    CloudResources.STORE_BUCKET.physicalName(config.resourcePrefix()));
            StoreFunctions store = new StoreFunctions(tables, bucket, functions, StoreQueues.none(), Clock.systemUTC());

            PathInfo lib = TestStore.signed("lib");
            PathInfo app = TestStore.signed("app", lib.path());
            PathRegistration registration = new PathRegistration(tables, bucket, functions, Clock.systemUTC());
            var result = registration.register(false, true, List.of(
                    new PathRegistration.Candidate(lib, Optional.empty(), Optional.empty()),
                    new PathRegistration.Candidate(app, Optional.empty(), Optional.empty())));
            assertEquals(List.of(lib.path(), app.path()), result.registered());
            assertEquals(2, pressure.transactionsAnswered.get(), "two transactions were cancelled for throttling");
            assertEquals(1, pressure.transactionsForwarded.get(), "and the third, Cumulus's own retry, went through once");

            assertEquals(List.of(STORE.print(lib.path()), STORE.print(app.path())),
                    store.queryValidPaths(new PathsQuery(List.of(STORE.print(lib.path()), STORE.print(app.path())))).paths());
            assertEquals(1, pressure.batchReadsAnswered.get(), "a batch read came back with every key unprocessed");
            assertEquals(true, pressure.batchReadsForwarded.get() >= 1, "and its keys were asked again");
            // Written once: one item per path, one referrer edge, nothing left of the cancelled attempts.
            assertEquals(2, tables.paths().getAll(List.of(lib.path().hashPart(), app.path().hashPart())).size());
            assertEquals(List.of(app.path()), tables.referrers().referrers(lib.path()));
        }
    }
}
