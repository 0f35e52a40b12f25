package dev.cumulus.localstack;

import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBServerHandler;
import com.amazonaws.services.dynamodbv2.local.shared.access.sqlite.SQLiteLibraryLoader;
import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.model.resources.CloudResources;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The AWS services Cumulus uses, emulated in this JVM on 127.0.0.1: DynamoDB Local, ElasticMQ (SQS)
 * and S3Proxy, each on a free port, with Cumulus's tables, queues and buckets created. With a state
 * directory, tables and objects survive a restart (queues are recreated empty: ElasticMQ keeps
 * messages in memory); without one everything lives in memory.
 *
 * <p>S3 is served twice over the same objects, as AWS tells principals apart: Cumulus's components
 * reach it at the endpoint {@link #config()} names, with every right; users (a Nix binary cache URL)
 * at the published one, {@link #bucketUrl()} and {@link #uploadsUrl()}, where the store bucket is
 * read-only ({@link ReadOnlyBucket}) and uploads go to the uploads bucket.
 */
public final class LocalStack implements AutoCloseable {
    private static final String REGION = "us-east-1";

    private final DynamoDbLocal dynamoDb;
    private final SQSRestServer sqs;
    private final S3Proxy s3;
    private final S3Proxy publishedS3;
    private final AwsConfig config;
    private final ObjectCreatedEvents events;
    private final ScheduledExecutorService lifecycle = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "uploads-expiry");
        t.setDaemon(true);
        return t;
    });

    private LocalStack(DynamoDbLocal dynamoDb, SQSRestServer sqs, S3Proxy s3, S3Proxy publishedS3, AwsConfig config,
                       ObjectCreatedEvents events) {
        this.events = events;
        this.dynamoDb = dynamoDb;
        this.sqs = sqs;
        this.s3 = s3;
        this.publishedS3 = publishedS3;
        this.config = config;
        lifecycle.scheduleAtFixedRate(() -> {
            try {
                expireUploads(Instant.now());
            } catch (RuntimeException e) {
                Logger.getLogger(LocalStack.class.getName()).log(Level.WARNING, "expiring uploads failed", e);
            }
        }, 1, 60, TimeUnit.MINUTES);
    }

    /** Starts the emulators and creates the resources under {@code prefix}, with one runner pool, the default one. */
    public static LocalStack start(Optional<Path> stateDir, String prefix) throws Exception {
        return start(stateDir, prefix, List.of(dev.cumulus.model.build.RunnerPools.DEFAULT_NAME));
    }

    /**
     * Starts the emulators and creates the resources under {@code prefix}, with the build queues of
     * the runner pools named {@code pools}.
     *
     * @param stateDir where tables and objects persist; empty for memory only
     */
    public static LocalStack start(Optional<Path> stateDir, String prefix, List<String> pools) throws Exception {
        quietEmulators();
        DynamoDbLocal dynamoDb = startDynamoDb(stateDir.map(d -> d.resolve("dynamodb")));
        SQSRestServer sqs = null;
        S3Proxy s3 = null;
        S3Proxy publishedS3 = null;
        try {
            sqs = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().withAWSRegion(REGION).start();
            int sqsPort = sqs.waitUntilStarted().localAddress().getPort();
            ObjectCreatedEvents events = new ObjectCreatedEvents();
            BlobStore objects = events.wrap(blobStore(stateDir.map(d -> d.resolve("s3"))));
            s3 = startS3(objects);
            publishedS3 = startS3(ReadOnlyBucket.wrap(objects, CloudResources.STORE_BUCKET.physicalName(prefix)));
            AwsConfig config = new AwsConfig(REGION, Optional.of(uri(dynamoDb.server().getURI().getPort())),
                    Optional.of(uri(sqsPort)), Optional.of(uri(s3.getPort())), Optional.empty(), Optional.empty(), prefix);
            LocalStack stack = new LocalStack(dynamoDb, sqs, s3, publishedS3, config, events);
            ResourceCreator.createAll(new AwsClients(config), prefix, pools);
            if (stateDir.isPresent()) {
                dynamoDb.commitAsNixDoes(); // its database exists now: the tables were just created in it
            }
            return stack;
        } catch (Exception | Error e) {
            stopQuietly(dynamoDb, sqs, s3, publishedS3);
            throw e;
        }
    }

    /**
     * Calls {@code listener} with (bucket, key) for every object created in the emulated S3, as S3's
     * event notifications do in AWS; it runs before the upload is answered.
     */
    public void onObjectCreated(BiConsumer<String, String> listener) {
        events.add(listener);
    }

    /** Endpoints, region and prefix: what every Cumulus component needs to find these services. */
    public AwsConfig config() {
        return config;
    }

    public AwsClients clients() {
        return new AwsClients(config);
    }

    /** The store bucket's published plain-HTTP address, a Nix binary cache URL to read from. */
    public URI bucketUrl() {
        return URI.create(uri(publishedS3.getPort()) + "/" + CloudResources.STORE_BUCKET.physicalName(config.resourcePrefix()));
    }

    /** The uploads bucket's published plain-HTTP address, a Nix binary cache URL to copy to. */
    public URI uploadsUrl() {
        return URI.create(uri(publishedS3.getPort()) + "/" + CloudResources.UPLOADS_BUCKET.physicalName(config.resourcePrefix()));
    }

    /**
     * S3's lifecycle expiration of the uploads bucket, which S3Proxy lacks (infra gives the bucket the
     * rule): deletes what was last modified more than {@link CloudResources#UPLOADS_EXPIRE_AFTER_DAYS}
     * days before {@code now}, and returns how many objects went. The stack runs it every hour.
     */
    public int expireUploads(Instant now) {
        String bucket = CloudResources.UPLOADS_BUCKET.physicalName(config.resourcePrefix());
        Instant before = now.minus(Duration.ofDays(CloudResources.UPLOADS_EXPIRE_AFTER_DAYS));
        int expired = 0;
        try (S3Client client = clients().s3()) {
            for (S3Object o : client.listObjectsV2Paginator(l -> l.bucket(bucket)).contents()) {
                if (o.lastModified().isBefore(before)) {
                    client.deleteObject(d -> d.bucket(bucket).key(o.key()));
                    expired++;
                }
            }
        }
        return expired;
    }

    @Override
    public void close() {
        lifecycle.shutdownNow();
        stopQuietly(dynamoDb, sqs, s3, publishedS3);
    }

    /** The emulators log every request and lifecycle step at INFO; only their warnings matter to us. */
    private static final List<Logger> EMULATOR_LOGGERS = Stream.of("org.gaul", "org.elasticmq", "org.apache.pekko",
            "org.eclipse.jetty", "com.amazonaws.services.dynamodbv2").map(Logger::getLogger).toList();

    private static void quietEmulators() {
        EMULATOR_LOGGERS.forEach(l -> l.setLevel(Level.WARNING));
    }

    private static URI uri(int port) {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** DynamoDB Local's HTTP server and its database, which must be shut down to release its files. */
    private record DynamoDbLocal(Server server, LocalDynamoDBRequestHandler database) {
        void stop() {
            try {
                server.stop();
            } catch (Exception ignored) {
                // stopping is best effort: the JVM may be exiting
            }
            database.shutdown();
        }

        /**
         * Makes the database commit as Nix's own store database does: a write-ahead log, synced at
         * checkpoints rather than at each commit ({@code journal_mode=WAL}, {@code synchronous=NORMAL}).
         * DynamoDB Local leaves SQLite's default, a rollback journal synced twice a commit, and runs
         * every request on one connection: each item of a BatchWriteItem is a commit of its own, so
         * a registration's hundred referrer edges waited for two hundred syncs while everything else
         * queued behind them. A crash of the machine may lose the last commits; it cannot corrupt the
         * database (nor does S3Proxy sync its files).
         */
        void commitAsNixDoes() {
            try {
                var handlers = (java.util.Map<?, ?>) field(database, "dbRequestHandlers");
                for (Object client : handlers.values()) {
                    var queue = (com.almworks.sqlite4java.SQLiteQueue) field(field(client, "dbAccess"), "queue");
                    queue.execute(new com.almworks.sqlite4java.SQLiteJob<Void>() {
                        @Override
                        protected Void job(com.almworks.sqlite4java.SQLiteConnection connection)
                                throws com.almworks.sqlite4java.SQLiteException {
                            connection.exec("PRAGMA journal_mode=WAL");
                            connection.exec("PRAGMA synchronous=NORMAL");
                            return null;
                        }
                    }).complete();
                }
            } catch (ReflectiveOperationException | ClassCastException e) {
                // Another DynamoDB Local: slower commits, nothing worse.
                Logger.getLogger(LocalStack.class.getName()).log(Level.WARNING,
                        "DynamoDB Local's commits stay synced one by one: " + e);
            }
        }

        private static Object field(Object of, String name) throws ReflectiveOperationException {
            for (Class<?> c = of.getClass(); c != null; c = c.getSuperclass()) {
                try {
                    var f = c.getDeclaredField(name);
                    f.setAccessible(true);
                    return f.get(of);
                } catch (NoSuchFieldException e) {
                    // a superclass may declare it
                }
            }
            throw new NoSuchFieldException(name);
        }
    }

    /**
     * DynamoDB Local's own runner binds every interface; its handler is mounted here on a loopback
     * connector instead. Telemetry stays off because it is never configured.
     */
    private static DynamoDbLocal startDynamoDb(Optional<Path> dir) throws Exception {
        if (dir.isPresent()) {
            Files.createDirectories(dir.get());
        }
        SQLiteLibraryLoader.initialize(); // unpacks the SQLite natives bundled in DynamoDB Local's jar
        var requests = new LocalDynamoDBRequestHandler(0, dir.isEmpty(), dir.map(Path::toString).orElse(null), true,
                false);
        var handler = new LocalDynamoDBServerHandler(requests, null);
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new DynamoDBProxyServer(0, handler).setUpHandler(handler));
        try {
            server.start();
        } catch (Exception e) {
            requests.shutdown();
            throw e;
        }
        return new DynamoDbLocal(server, requests);
    }

    private static BlobStore blobStore(Optional<Path> dir) throws Exception {
        if (dir.isPresent()) {
            Files.createDirectories(dir.get());
            return new FilesystemNio2BlobStore(dir.get().toString());
        }
        return new TransientNio2BlobStore();
    }

    private static S3Proxy startS3(BlobStore store) throws Exception {
        // No authentication: SDK-signed requests pass, and so do Nix's plain GET/HEAD/PUT of a binary cache.
        S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.NONE, null, null).stopTimeout(100).build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        return proxy;
    }

    private static void stopQuietly(DynamoDbLocal dynamoDb, SQSRestServer sqs, S3Proxy... s3) {
        for (S3Proxy proxy : s3) {
            try {
                if (proxy != null) {
                    proxy.stop();
                }
            } catch (Exception ignored) {
                // stopping is best effort: the JVM may be exiting
            }
        }
        if (sqs != null) {
            sqs.stopAndWait();
        }
        dynamoDb.stop();
    }
}
