package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.backend.StoreException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The proxy's backends as {@code cumulus local} assembles them, against the local stack. */
@ExtendWith(LocalStackExtension.class)
class CloudBackendsTest {
    private static final StoreDir STORE = StoreDir.DEFAULT;

    @TempDir
    Path tmp;

    @Test
    void aNarComesFromTheObjectItsInfoNamedAndFromTheStoresAnswerAgainOnceThatObjectIsGone(LocalStack stack) throws Exception {
        SecretKey key = SecretKey.generate("backends-test-1");
        AwsClients clients = new AwsClients(stack.config());
        String prefix = stack.config().resourcePrefix();
        InProcessInvoker invoker = new InProcessInvoker(StoreFunctions.of(clients,
                new FunctionsConfig(STORE, prefix, List.of(key.publicKey()), List.of())));
        StoreFunctionClient functions = new StoreFunctionClient(invoker);
        Backends backends = CloudBackends.of(clients, invoker, STORE, NarCompression.NONE, Optional.empty());
        S3Bucket bucket = new S3Bucket(clients.s3(), CloudResources.STORE_BUCKET.physicalName(prefix));
        Path file = tmp.resolve("file");
        Files.writeString(file, "remembered " + tmp);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(file, out);
        byte[] nar = out.toByteArray();
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar);
        PathInfo info = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256("remembered " + tmp), "remembered"),
                narHash, nar.length, List.of()).sign(STORE, key);

        bucket.put("nar/first.nar", nar, BinaryCacheLayout.NAR_TYPE);
        register(functions, info, new NarObject("nar/first.nar", "none", narHash.toString(), nar.length));
        assertTrue(backends.pathInfo().queryPathInfo(info.path()).isPresent());
        assertArrayEquals(nar, narFromPath(backends, info));

        // Collected and added again meanwhile, its NAR now under another key: the one remembered is gone.
        try (DynamoDbClient db = clients.dynamoDb()) {
            forget(db, prefix, info);
            bucket.delete("nar/first.nar");
            bucket.put("nar/second.nar", nar, BinaryCacheLayout.NAR_TYPE);
            register(functions, info, new NarObject("nar/second.nar", "none", narHash.toString(), nar.length));
            assertArrayEquals(nar, narFromPath(backends, info));

            // Collected for good: the client hears that the path is not valid, not that an object is missing.
            forget(db, prefix, info);
            bucket.delete("nar/second.nar");
            StoreException e = assertThrows(StoreException.class, () -> narFromPath(backends, info));
            assertTrue(e.getMessage().contains("is not valid"), e.getMessage());
        }
    }

    @Test
    void aPathAddedThroughTheProxyIsAnsweredAsStoredWithoutBeingReadBack(LocalStack stack) throws Exception {
        SecretKey key = SecretKey.generate("backends-test-2");
        AwsClients clients = new AwsClients(stack.config());
        String prefix = stack.config().resourcePrefix();
        InProcessInvoker invoker = new InProcessInvoker(StoreFunctions.of(clients,
                new FunctionsConfig(STORE, prefix, List.of(key.publicKey()), List.of())));
        StoreFunctionClient functions = new StoreFunctionClient(invoker);
        Backends backends = CloudBackends.of(clients, invoker, STORE, NarCompression.ZSTD, Optional.empty());
        Path file = tmp.resolve("added");
        Files.writeString(file, "added " + tmp);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(file, out);
        byte[] nar = out.toByteArray();
        PathInfo info = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256("added " + tmp), "added"),
                Hash.of(HashAlgorithm.SHA256, nar), nar.length, List.of()).sign(STORE, key);

        backends.nars().addPath(new CommandSession(System.out), info, new ByteArrayInputStream(nar), false, true);
        PathInfo stored = functions.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(STORE.print(info.path()))).info()
                .toPathInfo(STORE);
        try (DynamoDbClient db = clients.dynamoDb()) {
            forget(db, prefix, info);
        }
        assertEquals(Optional.of(stored), backends.pathInfo().queryPathInfo(info.path()),
                "the registration's answer, kept for the cache's ttl, though the item is gone now");
        assertArrayEquals(nar, narFromPath(backends, info));
    }

    private static byte[] narFromPath(Backends backends, PathInfo info) {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        backends.nars().narFromPath(info.path(), sent);
        return sent.toByteArray();
    }

    private static void register(StoreFunctionClient functions, PathInfo info, NarObject nar) {
        functions.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true, List.of(
                new NewPath(PathInfoEvent.of(STORE, info), nar, Map.of()))));
    }

    /** What a collection does to the path's item (its NAR object is the test's to remove). */
    private static void forget(DynamoDbClient db, String prefix, PathInfo info) {
        db.deleteItem(d -> d.tableName(CloudResources.PATHS.physicalName(prefix))
                .key(Map.of("hashPart", AttributeValue.fromS(info.path().hashPart()))));
    }
}
