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
import java.util.Arrays;
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

    /** The backends over the local stack, with the functions they call and a key the store trusts. */
    private record Store(AwsClients clients, String prefix, StoreFunctionClient functions, Backends backends, SecretKey key) {
        static Store of(LocalStack stack, NarCompression compression) {
            SecretKey key = SecretKey.generate("backends-test-1");
            AwsClients clients = new AwsClients(stack.config());
            String prefix = stack.config().resourcePrefix();
            InProcessInvoker invoker = new InProcessInvoker(StoreFunctions.of(clients,
                    new FunctionsConfig(STORE, prefix, List.of(key.publicKey()), List.of())));
            return new Store(clients, prefix, new StoreFunctionClient(invoker),
                    CloudBackends.of(clients, invoker, STORE, compression, Optional.empty()), key);
        }
    }

    /** The NAR of a file holding {@code content}. */
    private byte[] nar(String content) throws Exception {
        Path file = Files.createTempFile(tmp, "file", "");
        Files.writeString(file, content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(file, out);
        return out.toByteArray();
    }

    private PathInfo signedInfo(Store store, String name, byte[] nar) {
        return PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256(name + " " + tmp), name),
                Hash.of(HashAlgorithm.SHA256, nar), nar.length, List.of()).sign(STORE, store.key());
    }

    @Test
    void aNarComesFromTheObjectItsInfoNamedAndFromTheStoresAnswerAgainOnceThatObjectIsGone(LocalStack stack) throws Exception {
        Store store = Store.of(stack, NarCompression.NONE);
        Backends backends = store.backends();
        S3Bucket bucket = new S3Bucket(store.clients().s3(), CloudResources.STORE_BUCKET.physicalName(store.prefix()));
        byte[] nar = nar("remembered " + tmp);
        PathInfo info = signedInfo(store, "remembered", nar);
        String narHash = info.narHash().toString();

        bucket.put("nar/first.nar", nar, BinaryCacheLayout.NAR_TYPE);
        register(store.functions(), info, new NarObject("nar/first.nar", "none", narHash, nar.length));
        assertTrue(backends.pathInfo().queryPathInfo(info.path()).isPresent());
        assertArrayEquals(nar, narFromPath(backends, info));

        // Collected and added again meanwhile, its NAR now under another key: the one remembered is gone.
        try (DynamoDbClient db = store.clients().dynamoDb()) {
            forget(db, store.prefix(), info);
            bucket.delete("nar/first.nar");
            bucket.put("nar/second.nar", nar, BinaryCacheLayout.NAR_TYPE);
            register(store.functions(), info, new NarObject("nar/second.nar", "none", narHash, nar.length));
            assertArrayEquals(nar, narFromPath(backends, info));

            // Collected for good: the client hears that the path is not valid, not that an object is missing.
            forget(db, store.prefix(), info);
            bucket.delete("nar/second.nar");
            StoreException e = assertThrows(StoreException.class, () -> narFromPath(backends, info));
            assertTrue(e.getMessage().contains("is not valid"), e.getMessage());
        }
    }

    /** Issue 27: an object damaged behind the store's back is an error, and its NAR never goes out whole. */
    @Test
    void aNarWhoseObjectWasDamagedOrRemovedIsAnErrorAndNeverSentWhole(LocalStack stack) throws Exception {
        Store store = Store.of(stack, NarCompression.NONE);
        Backends backends = store.backends();
        S3Bucket bucket = new S3Bucket(store.clients().s3(), CloudResources.STORE_BUCKET.physicalName(store.prefix()));
        byte[] nar = nar("damaged " + tmp);
        PathInfo info = signedInfo(store, "damaged", nar);
        bucket.put("nar/damaged.nar", nar, BinaryCacheLayout.NAR_TYPE);
        register(store.functions(), info, new NarObject("nar/damaged.nar", "none", info.narHash().toString(), nar.length));
        assertArrayEquals(nar, narFromPath(backends, info));

        byte[] flipped = nar.clone();
        flipped[nar.length / 2] ^= 1;
        for (byte[] damage : List.of(flipped, Arrays.copyOf(nar, nar.length - 1))) {
            bucket.put("nar/damaged.nar", damage, BinaryCacheLayout.NAR_TYPE);
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            StoreException e = assertThrows(StoreException.class, () -> backends.nars().narFromPath(info.path(), sent));
            assertTrue(e.getMessage().contains("(nar/damaged.nar)") && e.getMessage().contains("the store recorded"), e.getMessage());
            assertTrue(sent.size() < damage.length - 16, "the NAR's end was held back: " + sent.size() + " of " + damage.length);
        }
        bucket.delete("nar/damaged.nar");
        StoreException missing = assertThrows(StoreException.class, () -> narFromPath(backends, info));
        assertTrue(missing.getMessage().contains("is missing from the bucket"), missing.getMessage());
    }

    @Test
    void aPathAddedThroughTheProxyIsAnsweredAsStoredWithoutBeingReadBack(LocalStack stack) throws Exception {
        Store store = Store.of(stack, NarCompression.ZSTD);
        byte[] nar = nar("added " + tmp);
        PathInfo info = signedInfo(store, "added", nar);

        store.backends().nars().addPath(new CommandSession(System.out), info, new ByteArrayInputStream(nar), false, true);
        PathInfo stored = store.functions().call(StoreFunction.QUERY_PATH_INFO, new PathQuery(STORE.print(info.path())))
                .info().toPathInfo(STORE);
        try (DynamoDbClient db = store.clients().dynamoDb()) {
            forget(db, store.prefix(), info);
        }
        assertEquals(Optional.of(stored), store.backends().pathInfo().queryPathInfo(info.path()),
                "the registration's answer, kept for the cache's ttl, though the item is gone now");
        assertArrayEquals(nar, narFromPath(store.backends(), info));
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
