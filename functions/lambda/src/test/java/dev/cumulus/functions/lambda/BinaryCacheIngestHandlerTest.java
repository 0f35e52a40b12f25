package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.aws.S3Bucket;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.Requests;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(BinaryCacheIngestHandlerTest.Profile.class)
class BinaryCacheIngestHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("binary-cache-ingest");
        }
    }

    /** The uploads bucket, where {@code nix copy --to s3://…} writes. */
    static S3Bucket bucket() {
        var stack = LocalStackResource.stack();
        return new S3Bucket(stack.clients().s3(), CloudResources.UPLOADS_BUCKET.physicalName(stack.config().resourcePrefix()));
    }

    static S3Bucket storeBucket() {
        var stack = LocalStackResource.stack();
        return new S3Bucket(stack.clients().s3(), CloudResources.STORE_BUCKET.physicalName(stack.config().resourcePrefix()));
    }

    /** Writes a NAR of one small file and its narinfo into the uploads bucket, as {@code nix copy --to s3://} would. */
    static String upload(String contents, StorePath path, List<StorePath> references) throws Exception {
        Path file = Files.createTempFile("cumulus-ingest", ".txt");
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        try {
            Files.writeString(file, contents);
            NarWriter.dump(file, nar);
        } finally {
            Files.delete(file);
        }
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream c = NarCompression.ZSTD.compress(compressed)) {
            c.write(nar.toByteArray());
        }
        Hash fileHash = Hash.of(HashAlgorithm.SHA256, compressed.toByteArray());
        String url = "nar/" + fileHash.encode(HashFormat.NIX32) + ".nar.zst";
        bucket().put(url, compressed.toByteArray(), BinaryCacheLayout.NAR_TYPE);
        PathInfo info = PathInfo.of(path, Hash.of(HashAlgorithm.SHA256, nar.toByteArray()), nar.size(), references)
                .sign(STORE, LocalStackResource.TRUSTED);
        String key = BinaryCacheLayout.narInfoKey(path);
        bucket().put(key, new NarInfo(info, url, "zstd", Optional.of(fileHash), compressed.size(), "").render(STORE)
                .getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        return key;
    }

    /** An S3 notification as Lambda delivers it. */
    static Map<String, Object> created(String key) {
        return Map.of("Records", List.of(Map.of("eventSource", "aws:s3", "eventName", "ObjectCreated:Put",
                "s3", Map.of("bucket", Map.of("name", "uploads"), "object", Map.of("key", key, "size", 1)))));
    }

    static boolean valid(StorePath p) {
        return LocalStackResource.seeder().call(StoreFunction.IS_VALID_PATH, new Requests.PathQuery(print(p))).valid();
    }

    @Test
    void uploadsBecomeValidAndOnesWaitingForAReferenceAreRetried() throws Exception {
        StorePath lib = randomPath("lib");
        StorePath app = randomPath("app");
        String appKey = upload("app", app, List.of(lib));
        var early = invoke(created(appKey));
        assertEquals(500, early.statusCode());
        assertTrue(early.jsonPath().getString("errorMessage").contains("deferred"), early.asString());
        assertTrue(!valid(app) && bucket().size(appKey).isPresent(), "left in place for the retry");

        String libKey = upload("lib", lib, List.of());
        assertTrue(ok(created(libKey)).getList("outcomes").getFirst().toString().contains("Registered"));
        assertTrue(valid(lib));
        assertTrue(storeBucket().size(libKey).isPresent() && bucket().size(libKey).isEmpty(), "the store's narinfo now");
        ok(created(appKey)); // Lambda's retry
        assertTrue(valid(app));
        assertTrue(ok(created(appKey)).getList("outcomes").getFirst().toString().contains("Ignored"), "handled already");
        upload("app", app, List.of(lib));
        assertTrue(ok(created(appKey)).getList("outcomes").getFirst().toString().contains("AlreadyValid"));
        assertTrue(ok(created("nar/whatever.nar.zst")).getList("outcomes").getFirst().toString().contains("Ignored"));
    }
}
