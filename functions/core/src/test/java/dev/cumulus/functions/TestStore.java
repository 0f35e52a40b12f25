package dev.cumulus.functions;

import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Responses.Registered;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionStep;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.Nix32;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The store functions on the local stack, called through the in-process invoker (so every request
 * and answer crosses JSON), with one trusted key and made-up paths that no other test shares.
 */
final class TestStore {
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final SecretKey TRUSTED = SecretKey.generate("trusted-1");
    static final SecretKey STRANGER = SecretKey.generate("stranger-1");
    private static final SecureRandom RANDOM = new SecureRandom();

    final LocalStack stack;
    final StoreTables tables;
    final StoreFunctionClient client;
    final StoreFunctions functions;
    final S3Bucket bucket;
    final TestCollectionSteps collectionSteps = new TestCollectionSteps();

    TestStore(LocalStack stack, List<URI> substituters) {
        this(stack, substituters, JobQueue.none("build"));
    }

    TestStore(LocalStack stack, List<URI> substituters, JobQueue<QueuedBuild> queue) {
        this(stack, substituters, StoreQueues.none().withBuilds(queue));
    }

    TestStore(LocalStack stack, List<URI> substituters, StoreQueues queues) {
        this(stack, substituters, queues, c -> c);
    }

    /** With the configuration {@code configure} makes of the tests' default one. */
    TestStore(LocalStack stack, List<URI> substituters, StoreQueues queues,
              java.util.function.UnaryOperator<FunctionsConfig> configure) {
        this.stack = stack;
        FunctionsConfig config = configure.apply(new FunctionsConfig(STORE, stack.config().resourcePrefix(),
                List.of(TRUSTED.publicKey()), substituters));
        this.tables = StoreTables.of(stack.clients().dynamoDb(), config.resourcePrefix(), STORE);
        this.bucket = new S3Bucket(stack.clients().s3(), CloudResources.STORE_BUCKET.physicalName(config.resourcePrefix()));
        this.functions = new StoreFunctions(tables, bucket, config, queues.withCollectionSteps(collectionSteps),
                Clock.systemUTC());
        this.client = new StoreFunctionClient(new InProcessInvoker(functions));
    }

    TestStore(LocalStack stack) {
        this(stack, List.of());
    }

    static StorePath randomPath(String name) {
        byte[] h = new byte[StorePath.HASH_BYTES];
        RANDOM.nextBytes(h);
        return new StorePath(Nix32.encode(h), name);
    }

    /** An input-addressed path with a made-up NAR hash, signed by the trusted key. */
    static PathInfo signed(String name, StorePath... references) {
        return unsigned(name, references).sign(STORE, TRUSTED);
    }

    static PathInfo unsigned(String name, StorePath... references) {
        byte[] nar = new byte[32];
        RANDOM.nextBytes(nar);
        return PathInfo.of(randomPath(name), new Hash(dev.cumulus.model.hash.HashAlgorithm.SHA256, nar), 1000 + (nar[0] & 0xff),
                new TreeSet<>(Arrays.asList(references)));
    }

    /** A content-addressed (source) path: its name and references determine it, no signature needed. */
    static PathInfo contentAddressed(String name, StorePath... references) {
        byte[] nar = new byte[32];
        RANDOM.nextBytes(nar);
        Hash narHash = new Hash(dev.cumulus.model.hash.HashAlgorithm.SHA256, nar);
        ContentAddress ca = new ContentAddress(ContentAddressMethod.NAR, narHash);
        StorePath path = STORE.makeFixedOutputPathFromCA(name, ca, Arrays.asList(references), false);
        return PathInfo.of(path, narHash, 500, Arrays.asList(references)).withCa(Optional.of(ca));
    }

    static NewPath newPath(PathInfo info) {
        return new NewPath(PathInfoEvent.of(STORE, info), null, Map.of());
    }

    Registered register(boolean trusted, boolean checkSigs, PathInfo... infos) {
        return client.call(StoreFunction.REGISTER_PATHS,
                new RegisterPaths(trusted, checkSigs, Arrays.stream(infos).map(TestStore::newPath).toList()));
    }

    Registered register(PathInfo... infos) {
        return register(false, true, infos);
    }

    /**
     * Runs a collection to its end as a caller does ({@link GarbageCollection#run}), its steps run
     * by the collection-steps function as they are queued.
     */
    GarbageCollected collect(CollectGarbage request) {
        return GarbageCollection.run(client, request, true, state -> collectionSteps.drain(this::runStep));
    }

    /** Runs one step through the collection-steps function; false if it must come back. */
    boolean runStep(CollectionStep step) {
        return runStep(client, step);
    }

    static boolean runStep(StoreFunctionClient client, CollectionStep step) {
        QueueMessages message = new QueueMessages(List.of(new QueueMessage("step-" + RANDOM.nextLong(),
                new String(EventJson.write(step), java.nio.charset.StandardCharsets.UTF_8))));
        return client.call(StoreFunction.COLLECTION_STEPS, message).batchItemFailures().isEmpty();
    }

    static String print(StorePath p) {
        return STORE.print(p);
    }

    boolean valid(StorePath p) {
        return client.call(StoreFunction.IS_VALID_PATH, new dev.cumulus.model.event.Requests.PathQuery(STORE.print(p)))
                .valid();
    }
}
