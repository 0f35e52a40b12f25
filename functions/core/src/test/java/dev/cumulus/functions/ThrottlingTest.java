package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.store.PathInfo;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;

/**
 * DynamoDB under pressure, made up on the client side because DynamoDB Local never throttles: the
 * first transactions answer ThrottlingException, the first batch reads come back unprocessed.
 * Registration and queries still succeed, and nothing is written twice.
 */
@ExtendWith(LocalStackExtension.class)
class ThrottlingTest {

    /** Turns the first {@code throttled} transactions into HTTP 400 ThrottlingException, and the first batch read into "all unprocessed". */
    static final class Pressure implements ExecutionInterceptor {
        final AtomicInteger throttled = new AtomicInteger(2);
        final AtomicInteger unprocessed = new AtomicInteger(1);
        final AtomicInteger transactions = new AtomicInteger();
        final AtomicInteger batchReads = new AtomicInteger();

        private static boolean is(Context.AfterTransmission c, Class<? extends SdkRequest> type) {
            return type.isInstance(c.request());
        }

        @Override
        public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse c, ExecutionAttributes a) {
            if (is(c, TransactWriteItemsRequest.class)) {
                transactions.incrementAndGet();
                if (throttled.get() > 0) {
                    return c.httpResponse().toBuilder().statusCode(400).build();
                }
            }
            return c.httpResponse();
        }

        @Override
        public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse c, ExecutionAttributes a) {
            if (is(c, TransactWriteItemsRequest.class) && throttled.getAndDecrement() > 0) {
                return Optional.of(new ByteArrayInputStream(("{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\","
                        + "\"message\":\"Rate of requests exceeds the allowed throughput.\"}").getBytes(StandardCharsets.UTF_8)));
            }
            return c.responseBody();
        }

        @Override
        public SdkResponse modifyResponse(Context.ModifyResponse c, ExecutionAttributes a) {
            if (c.request() instanceof BatchGetItemRequest request) {
                batchReads.incrementAndGet();
                if (unprocessed.getAndDecrement() > 0) {
                    return BatchGetItemResponse.builder().responses(java.util.Map.of())
                            .unprocessedKeys(request.requestItems()).build();
                }
            }
            return c.response();
        }
    }

    @Test
    void throttledCallsAreRetriedAndNothingIsHalfWritten(LocalStack stack) {
        Pressure pressure = new Pressure();
        var config = stack.config();
        DynamoDbClient db = DynamoDbClient.builder().endpointOverride(config.dynamoDbEndpoint().orElseThrow())
                .region(software.amazon.awssdk.regions.Region.of(config.region()))
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("cumulus", "cumulus")))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.addExecutionInterceptor(pressure)
                        .retryStrategy(software.amazon.awssdk.core.retry.RetryMode.STANDARD))
                .build();
        FunctionsConfig functions = new FunctionsConfig(STORE, config.resourcePrefix(), List.of(TestStore.TRUSTED.publicKey()),
                List.of());
        StoreTables tables = StoreTables.of(db, config.resourcePrefix(), STORE);
        StoreFunctions store = new StoreFunctions(tables, new dev.cumulus.aws.S3Bucket(stack.clients().s3(),
                dev.cumulus.model.resources.CloudResources.STORE_BUCKET.physicalName(config.resourcePrefix())),
                functions, StoreQueues.none(), Clock.systemUTC());

        PathInfo lib = TestStore.signed("lib");
        PathInfo app = TestStore.signed("app", lib.path());
        PathRegistration registration = new PathRegistration(tables, functions, Clock.systemUTC());
        var result = registration.register(false, true, List.of(
                new PathRegistration.Candidate(lib, Optional.empty(), Optional.empty()),
                new PathRegistration.Candidate(app, Optional.empty(), Optional.empty())));
        assertEquals(List.of(lib.path(), app.path()), result.registered());
        assertTrue(pressure.transactions.get() >= 3, "two throttled transactions, then the one that went through");
        assertTrue(pressure.batchReads.get() >= 2, "the unprocessed batch read was asked again");
        assertEquals(List.of(STORE.print(lib.path()), STORE.print(app.path())), store.queryValidPaths(
                new dev.cumulus.model.event.Requests.PathsQuery(List.of(STORE.print(lib.path()), STORE.print(app.path()))))
                .paths());
    }
}
