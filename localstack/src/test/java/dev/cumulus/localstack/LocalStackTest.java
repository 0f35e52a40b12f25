package dev.cumulus.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cumulus.model.resources.CloudResources;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

class LocalStackTest {

    @Test
    void createsEveryResourceAndKeepsStateAcrossRestarts(@TempDir Path state) throws Exception {
        String prefix = "t-";
        String paths = CloudResources.PATHS.physicalName(prefix);
        try (LocalStack stack = LocalStack.start(Optional.of(state), prefix, List.of("small", "big"));
             DynamoDbClient dynamoDb = stack.clients().dynamoDb();
             SqsClient sqs = stack.clients().sqs();
             S3Client s3 = stack.clients().s3()) {
            for (var table : CloudResources.TABLES) {
                var described = dynamoDb.describeTable(d -> d.tableName(table.physicalName(prefix))).table();
                assertEquals(table.partitionKey().name(), described.keySchema().get(0).attributeName());
                assertEquals(table.indexes().size(), described.globalSecondaryIndexes().size());
            }
            // Each runner pool has its two build queues, both dead-lettered to the one queue of failed builds.
            for (var spec : List.of(CloudResources.buildRequests("small"), CloudResources.batchBuildRequests("small"),
                    CloudResources.buildRequests("big"), CloudResources.batchBuildRequests("big"))) {
                String queue = sqs.getQueueUrl(q -> q.queueName(spec.physicalName(prefix))).queueUrl();
                String redrive = sqs.getQueueAttributes(a -> a.queueUrl(queue).attributeNames(QueueAttributeName.REDRIVE_POLICY))
                        .attributes().get(QueueAttributeName.REDRIVE_POLICY);
                assertTrue(redrive.contains(CloudResources.BUILD_REQUESTS_DEAD.physicalName(prefix)), redrive);
            }

            dynamoDb.putItem(p -> p.tableName(paths).item(Map.of("hashPart", AttributeValue.fromS("kept"))));
            // The tables' database commits through a write-ahead log, as Nix's store database does.
            try (var files = java.nio.file.Files.list(state.resolve("dynamodb"))) {
                List<String> names = files.map(f -> f.getFileName().toString()).toList();
                assertTrue(names.stream().anyMatch(n -> n.endsWith(".db-wal")), names.toString());
            }
            String bucket = CloudResources.STORE_BUCKET.physicalName(prefix);
            s3.putObject(p -> p.bucket(bucket).key("nix-cache-info"), RequestBody.fromString("StoreDir: /nix/store\n"));
            // The bucket serves plain HTTP too, as a binary cache must.
            var get = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(stack.bucketUrl() + "/nix-cache-info")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertEquals("StoreDir: /nix/store\n", get.body());
        }
        try (LocalStack again = LocalStack.start(Optional.of(state), prefix);
             DynamoDbClient dynamoDb = again.clients().dynamoDb();
             S3Client s3 = again.clients().s3()) {
            assertTrue(dynamoDb.getItem(g -> g.tableName(paths).key(Map.of("hashPart", AttributeValue.fromS("kept"))))
                    .hasItem());
            assertEquals("StoreDir: /nix/store\n", s3.getObjectAsBytes(g -> g.bucket(CloudResources.STORE_BUCKET
                    .physicalName(prefix)).key("nix-cache-info")).asUtf8String());
        }
    }

    /**
     * The published S3 endpoint, what a user's Nix is given: the store bucket is read, never written
     * or deleted from, in any of S3's ways (a put, a multipart upload, a copy onto it, a delete); the
     * uploads bucket takes uploads. Cumulus's own endpoint writes both.
     */
    @Test
    void thePublishedEndpointCannotChangeTheStoreBucket() throws Exception {
        try (LocalStack stack = LocalStack.start(Optional.empty(), "p-");
             S3Client own = stack.clients().s3();
             HttpClient http = HttpClient.newHttpClient()) {
            String store = CloudResources.STORE_BUCKET.physicalName("p-");
            own.putObject(p -> p.bucket(store).key("kept.narinfo"), RequestBody.fromString("the store's"));
            URI published = URI.create(stack.bucketUrl().toString().replaceFirst("/" + store + "$", ""));
            try (S3Client user = S3Client.builder().endpointOverride(published).forcePathStyle(true)
                    .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
                    .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()) {
                List<Runnable> writes = List.of(
                        () -> user.putObject(p -> p.bucket(store).key("kept.narinfo"), RequestBody.fromString("forged")),
                        () -> user.putObject(p -> p.bucket(store).key("new.narinfo"), RequestBody.fromString("forged")),
                        () -> user.deleteObject(d -> d.bucket(store).key("kept.narinfo")),
                        () -> user.createMultipartUpload(m -> m.bucket(store).key("kept.narinfo")),
                        () -> user.copyObject(c -> c.sourceBucket(store).sourceKey("kept.narinfo")
                                .destinationBucket(store).destinationKey("copy.narinfo")),
                        () -> user.deleteBucket(d -> d.bucket(store)));
                for (Runnable write : writes) {
                    var refused = assertThrows(software.amazon.awssdk.services.s3.model.S3Exception.class, write::run);
                    assertEquals(403, refused.statusCode(), refused.getMessage());
                }
                // S3 answers a multi-object delete with an error per key, or refuses it whole.
                try {
                    var deleted = user.deleteObjects(d -> d.bucket(store).delete(x -> x.objects(o -> o.key("kept.narinfo"))));
                    assertEquals(1, deleted.errors().size(), deleted.toString());
                } catch (software.amazon.awssdk.services.s3.model.S3Exception refused) {
                    assertEquals(403, refused.statusCode(), refused.getMessage());
                }
                assertEquals("the store's", user.getObjectAsBytes(g -> g.bucket(store).key("kept.narinfo")).asUtf8String());
                String uploads = CloudResources.UPLOADS_BUCKET.physicalName("p-");
                user.putObject(p -> p.bucket(uploads).key("up.narinfo"), RequestBody.fromString("an upload"));
                assertEquals("an upload", own.getObjectAsBytes(g -> g.bucket(uploads).key("up.narinfo")).asUtf8String());
            }
            // Uploads expire as the bucket's lifecycle rule has them do in AWS; the store's objects stay.
            String uploads = CloudResources.UPLOADS_BUCKET.physicalName("p-");
            java.time.Instant now = java.time.Instant.now();
            assertEquals(0, stack.expireUploads(now));
            assertEquals(1, stack.expireUploads(now.plus(java.time.Duration.ofDays(CloudResources.UPLOADS_EXPIRE_AFTER_DAYS))
                    .plusSeconds(60)));
            assertThrows(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class,
                    () -> own.getObjectAsBytes(g -> g.bucket(uploads).key("up.narinfo")));
            var get = http.send(HttpRequest.newBuilder(URI.create(stack.bucketUrl() + "/kept.narinfo")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("the store's", get.body());
            var put = http.send(HttpRequest.newBuilder(URI.create(stack.bucketUrl() + "/kept.narinfo"))
                    .PUT(HttpRequest.BodyPublishers.ofString("forged")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, put.statusCode(), put.body());
            assertEquals("the store's", own.getObjectAsBytes(g -> g.bucket(store).key("kept.narinfo")).asUtf8String());
        }
    }

    /**
     * Each emulator answers on loopback and refuses a connection to the same port on this machine's
     * other address: nothing of the local stack is reachable from the network.
     */
    @Test
    void listensOnLoopbackOnly() throws Exception {
        InetAddress outside = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> { try { return i.isUp() && !i.isLoopback(); } catch (SocketException e) { return false; } })
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address).findFirst().orElse(null);
        if (System.getenv("CI") != null) {
            assertTrue(outside != null, "CI machines have a non-loopback address to try");
        }
        assumeTrue(outside != null, "this machine has no address but loopback");
        try (LocalStack stack = LocalStack.start(Optional.empty(), "l-")) {
            var c = stack.config();
            for (URI u : new URI[] {c.dynamoDbEndpoint().orElseThrow(), c.sqsEndpoint().orElseThrow(),
                    c.s3Endpoint().orElseThrow(), stack.bucketUrl()}) {
                try (Socket ok = new Socket()) {
                    ok.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), u.getPort()), 5000);
                }
                assertThrows(ConnectException.class, () -> {
                    try (Socket refused = new Socket()) {
                        refused.connect(new InetSocketAddress(outside, u.getPort()), 5000);
                    }
                }, u + " must not be reachable on " + outside);
            }
        }
    }
}
