package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.aws.S3Bucket;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binary-cache uploads into the uploads bucket: what the ingest registers and copies into the store
 * bucket, what it moves aside and why; and that nothing uploaded is ever served as it is.
 */
@ExtendWith(LocalStackExtension.class)
class BinaryCacheIngestTest {
    @TempDir
    Path tmp;

    TestStore store;
    /** Where uploads land. */
    S3Bucket bucket;
    /** The store's own bucket. */
    S3Bucket storeBucket;
    BinaryCacheIngest ingest;

    @BeforeEach
    void setUp(LocalStack stack) {
        store = new TestStore(stack);
        bucket = new S3Bucket(stack.clients().s3(), CloudResources.UPLOADS_BUCKET.physicalName(stack.config().resourcePrefix()));
        storeBucket = store.bucket;
        ingest = new BinaryCacheIngest(bucket, storeBucket, store.functions, TestStore.STORE, NarCompression.ZSTD);
    }

    /** Uploads a NAR of one file as Nix's binary cache store would, and returns its narinfo (not yet uploaded). */
    private NarInfo upload(String contents, SecretKey key) throws Exception {
        Path file = tmp.resolve("f" + System.nanoTime());
        Files.writeString(file, contents);
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        NarWriter.dump(file, nar);
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        try (OutputStream c = NarCompression.XZ.compress(xz)) {
            c.write(nar.toByteArray());
        }
        Hash fileHash = Hash.of(HashAlgorithm.SHA256, xz.toByteArray());
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar.toByteArray());
        StorePath path = TestStore.randomPath("uploaded");
        String url = "nar/" + fileHash.encode(HashFormat.NIX32) + ".nar.xz";
        bucket.put(url, xz.toByteArray(), BinaryCacheLayout.NAR_TYPE);
        PathInfo info = PathInfo.of(path, narHash, nar.size(), List.of()).sign(TestStore.STORE, key);
        return new NarInfo(info, url, "xz", Optional.of(fileHash), xz.size(), "");
    }

    private BinaryCacheIngest.Outcome put(NarInfo n) throws Exception {
        String key = BinaryCacheLayout.narInfoKey(n.info().path());
        bucket.put(key, n.render(TestStore.STORE).getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        return ingest.objectCreated(key);
    }

    private boolean valid(StorePath p) {
        return store.functions.queryPathInfo(new PathQuery(TestStore.print(p))).info() != null;
    }

    /**
     * An accepted upload is the store's own afterwards: its NAR in the store bucket under the store's
     * key and compression, the store's narinfo beside it, and the uploaded narinfo gone.
     */
    @Test
    void aSignedUploadIsCopiedIntoTheStoreBucketAndRegisteredOnce() throws Exception {
        NarInfo n = upload("hello", TestStore.TRUSTED);
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(n));
        assertTrue(valid(n.info().path()));
        var nar = store.functions.queryPathInfo(new PathQuery(TestStore.print(n.info().path()))).nar();
        assertEquals(BinaryCacheLayout.narKey(n.info().narHash(), NarCompression.ZSTD), nar.key());
        assertEquals("zstd", nar.compression());
        byte[] stored = storeBucket.open(nar.key()).orElseThrow().readAllBytes();
        assertEquals(nar.fileSize(), stored.length);
        String key = BinaryCacheLayout.narInfoKey(n.info().path());
        NarInfo served = NarInfo.parse(TestStore.STORE, new String(storeBucket.open(key).orElseThrow().readAllBytes(),
                StandardCharsets.UTF_8));
        assertEquals(nar.key(), served.url());
        assertEquals(n.info().signatures(), served.info().signatures());
        assertTrue(bucket.size(key).isEmpty(), "the upload's narinfo is handled");
        assertInstanceOf(BinaryCacheIngest.Outcome.AlreadyValid.class, put(n));
        assertTrue(bucket.size(key).isEmpty());
        assertInstanceOf(BinaryCacheIngest.Outcome.Ignored.class, ingest.objectCreated(n.url()));
        assertInstanceOf(BinaryCacheIngest.Outcome.Ignored.class, ingest.objectCreated(key), "the same event again");
    }

    @Test
    void failuresAreMovedAsideWithTheirReasonAndNeverRegistered() throws Exception {
        NarInfo stranger = upload("signed by a stranger", TestStore.STRANGER);
        NarInfo good = upload("honest", TestStore.TRUSTED);
        NarInfo wrongHash = new NarInfo(PathInfo.of(TestStore.randomPath("liar"), Hash.sha256("other"), good.info().narSize(),
                List.of()).sign(TestStore.STORE, TestStore.TRUSTED), good.url(), "xz", good.fileHash(), good.fileSize(), "");
        NarInfo noNar = new NarInfo(upload("x", TestStore.TRUSTED).info(), "nar/absent.nar.xz", "xz", Optional.empty(), 1, "");

        for (var c : List.of(List.of(stranger, "lacks a signature by a trusted key"), List.of(wrongHash, "holds a NAR with hash"),
                List.of(noNar, "is not in the bucket"))) {
            NarInfo n = (NarInfo) c.get(0);
            var outcome = put(n);
            var rejected = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, outcome);
            assertTrue(rejected.reason().contains((String) c.get(1)), rejected.reason());
            assertFalse(valid(n.info().path()));
            String key = BinaryCacheLayout.narInfoKey(n.info().path());
            assertTrue(bucket.size(key).isEmpty(), "moved away");
            assertTrue(bucket.size(BinaryCacheLayout.REJECTED_PREFIX + key).isPresent(), "kept aside");
            assertTrue(new String(bucket.open(BinaryCacheLayout.REJECTED_PREFIX + key + ".reason").orElseThrow().readAllBytes(),
                    StandardCharsets.UTF_8).contains((String) c.get(1)));
        }
    }

    /** Uploads {@code bytes} as a NAR file and returns a trusted narinfo for a new path that claims it holds {@code nar}. */
    private NarInfo claiming(byte[] bytes, String compression, byte[] nar, Optional<Hash> fileHash) throws Exception {
        String url = "nar/" + Hash.of(HashAlgorithm.SHA256, bytes).encode(HashFormat.NIX32) + ".nar." + compression;
        bucket.put(url, bytes, BinaryCacheLayout.NAR_TYPE);
        PathInfo info = PathInfo.of(TestStore.randomPath("claiming"), Hash.of(HashAlgorithm.SHA256, nar), nar.length, List.of())
                .sign(TestStore.STORE, TestStore.TRUSTED);
        return new NarInfo(info, url, compression, fileHash, bytes.length, "");
    }

    /**
     * Each way an upload's NAR file can fail its narinfo is refused with its own reason, kept aside, and
     * never registered: an unknown compression, a FileHash that is not the file's, bytes after the NAR,
     * bytes that are no NAR, and a narinfo stored under another path's hash part.
     */
    @Test
    void eachRejectionOfANarFileNamesItsReason() throws Exception {
        Path file = tmp.resolve("plain");
        Files.writeString(file, "plain contents");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(file, out);
        byte[] nar = out.toByteArray();
        byte[] trailing = java.util.Arrays.copyOf(nar, nar.length + 8);
        byte[] notANar = "this is not a NAR at all, just some bytes".getBytes(StandardCharsets.UTF_8);
        Hash wrongFileHash = Hash.of(HashAlgorithm.SHA256, "another file".getBytes(StandardCharsets.UTF_8));

        Map<NarInfo, String> cases = new java.util.LinkedHashMap<>();
        cases.put(claiming(nar, "lz4", nar, Optional.empty()), "lz4");
        cases.put(claiming(nar, "none", nar, Optional.of(wrongFileHash)), "does not have the FileHash it claims");
        cases.put(claiming(trailing, "none", nar, Optional.empty()), "there is data after the end of the NAR");
        cases.put(claiming(notANar, "none", nar, Optional.empty()), "does not hold a valid NAR");
        for (var c : cases.entrySet()) {
            NarInfo n = c.getKey();
            var rejected = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, put(n), c.getValue());
            assertTrue(rejected.reason().contains(c.getValue()), rejected.reason());
            assertFalse(valid(n.info().path()));
            assertTrue(bucket.size(BinaryCacheLayout.REJECTED_PREFIX + BinaryCacheLayout.narInfoKey(n.info().path())).isPresent());
            assertTrue(storeBucket.size(BinaryCacheLayout.narInfoKey(n.info().path())).isEmpty());
        }
        // The same bytes, honestly described, are accepted: each refusal was for its own reason.
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(claiming(nar, "none", nar, Optional.empty())));

        NarInfo elsewhere = upload("under another path's name", TestStore.TRUSTED);
        String otherKey = BinaryCacheLayout.narInfoKey(TestStore.randomPath("other"));
        bucket.put(otherKey, elsewhere.render(TestStore.STORE).getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        var misplaced = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, ingest.objectCreated(otherKey));
        assertTrue(misplaced.reason().contains("whose narinfo is not"), misplaced.reason());
        assertFalse(valid(elsewhere.info().path()));
    }

    /**
     * Uploads for a valid path (another NAR, a stranger's signature, the same NAR under another URL,
     * not a narinfo at all) never touch what the store bucket serves for it: the ones that contradict
     * it are kept aside, the others are answered as already valid, and the store's narinfo and NAR
     * stay as they were.
     */
    @Test
    void uploadsForAValidPathLeaveWhatTheStoreServesAsItWas() throws Exception {
        NarInfo valid = upload("valid", TestStore.TRUSTED);
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(valid));
        String key = BinaryCacheLayout.narInfoKey(valid.info().path());
        byte[] own = storeBucket.open(key).orElseThrow().readAllBytes();
        String narKey = NarInfo.parse(TestStore.STORE, new String(own, StandardCharsets.UTF_8)).url();
        byte[] ownNar = storeBucket.open(narKey).orElseThrow().readAllBytes();
        StorePath p = valid.info().path();
        NarInfo otherNar = upload("forged contents", TestStore.TRUSTED);
        NarInfo forged = new NarInfo(PathInfo.of(p, otherNar.info().narHash(), otherNar.info().narSize(), List.of())
                .sign(TestStore.STORE, TestStore.TRUSTED), otherNar.url(), "xz", otherNar.fileHash(), otherNar.fileSize(), "");
        NarInfo stranger = new NarInfo(PathInfo.of(p, otherNar.info().narHash(), otherNar.info().narSize(), List.of())
                .sign(TestStore.STORE, TestStore.STRANGER), otherNar.url(), "xz", otherNar.fileHash(), otherNar.fileSize(), "");
        NarInfo elsewhere = new NarInfo(valid.info().withSignatures(List.of()), "nar/elsewhere.nar.xz", "xz", Optional.empty(), 1, "");

        for (NarInfo n : List.of(forged, stranger)) {
            var rejected = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, put(n));
            assertTrue(rejected.reason().contains("is already valid with NAR hash"), rejected.reason());
            assertTrue(bucket.size(BinaryCacheLayout.REJECTED_PREFIX + key).isPresent(), "the upload is kept aside");
        }
        assertInstanceOf(BinaryCacheIngest.Outcome.AlreadyValid.class, put(elsewhere));
        bucket.put(key, "not a narinfo".getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, ingest.objectCreated(key));
        // A NAR file uploaded under the store's own NAR key lands in the uploads bucket, not over the store's.
        bucket.put(narKey, "garbage".getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NAR_TYPE);
        assertInstanceOf(BinaryCacheIngest.Outcome.Ignored.class, ingest.objectCreated(narKey));

        assertArrayEquals(own, storeBucket.open(key).orElseThrow().readAllBytes(), "the store's narinfo as it was");
        assertArrayEquals(ownNar, storeBucket.open(narKey).orElseThrow().readAllBytes(), "the store's NAR as it was");
        assertTrue(valid(p));
    }

    /** Bad uploads of every kind: each refused or ignored as Nix would, and nothing valid damaged. */
    @Test
    void badUploadsAreRefusedOrIgnoredAndDamageNothingValid() throws Exception {
        NarInfo valid = upload("stays valid", TestStore.TRUSTED);
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(valid));
        String validKey = BinaryCacheLayout.narInfoKey(valid.info().path());
        byte[] validNarInfo = storeBucket.open(validKey).orElseThrow().readAllBytes();
        byte[] validNar = bucket.open(valid.url()).orElseThrow().readAllBytes();
        String storeNarKey = NarInfo.parse(TestStore.STORE, new String(validNarInfo, StandardCharsets.UTF_8)).url();
        byte[] storeNar = storeBucket.open(storeNarKey).orElseThrow().readAllBytes();

        // URLs that are not a NAR file's key here, though the bytes they name (where they exist) hash right.
        bucket.put("rejected/copy.nar.xz", validNar, BinaryCacheLayout.NAR_TYPE);
        for (String url : List.of("rejected/copy.nar.xz", "nar/x/../copy.nar.xz", validKey, "nar/", "/" + valid.url(),
                valid.url() + "?x=1")) {
            NarInfo n = upload("another " + url, TestStore.TRUSTED);
            NarInfo pointing = new NarInfo(PathInfo.of(n.info().path(), valid.info().narHash(), valid.info().narSize(), List.of())
                    .sign(TestStore.STORE, TestStore.TRUSTED), url, "xz", Optional.empty(), 0, "");
            var rejected = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, put(pointing), url);
            assertTrue(rejected.reason().contains("is not a NAR file's key"), rejected.reason());
            assertFalse(valid(n.info().path()));
        }
        // A narinfo too large to be one, and one whose fields are huge.
        NarInfo huge = upload("huge", TestStore.TRUSTED);
        String padded = huge.render(TestStore.STORE) + "X-Padding: " + "x".repeat(BinaryCacheLayout.MAX_NARINFO_SIZE) + "\n";
        String hugeKey = BinaryCacheLayout.narInfoKey(huge.info().path());
        bucket.put(hugeKey, padded.getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        var tooLarge = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, ingest.objectCreated(hugeKey));
        assertTrue(tooLarge.reason().contains("larger than"), tooLarge.reason());
        String hugeSystem = huge.render(TestStore.STORE) + "System: " + "y".repeat(1 << 20) + "\n";
        bucket.put(hugeKey, hugeSystem.getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, ingest.objectCreated(hugeKey), "Nix reads it too");
        // Keys that are no narinfo of a store path: a space, non-ASCII, an escaped slash.
        for (String key : List.of("a b.narinfo", "caf\u00e9.narinfo", "x%2F..%2F" + validKey, "..narinfo")) {
            bucket.put(key, validNarInfo, BinaryCacheLayout.NARINFO_TYPE);
            var outcome = ingest.objectCreated(key);
            assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, outcome, key);
            assertTrue(bucket.size(key).isEmpty(), key + " is moved aside");
        }
        // A NAR with no narinfo is left to the uploads bucket's expiry.
        bucket.put("nar/lonely.nar.xz", validNar, BinaryCacheLayout.NAR_TYPE);
        assertInstanceOf(BinaryCacheIngest.Outcome.Ignored.class, ingest.objectCreated("nar/lonely.nar.xz"));

        assertTrue(valid(valid.info().path()));
        assertArrayEquals(validNarInfo, storeBucket.open(validKey).orElseThrow().readAllBytes());
        assertArrayEquals(storeNar, storeBucket.open(storeNarKey).orElseThrow().readAllBytes());
    }

    /** Events come in any order: a path seen before its reference waits, in place, and registers once it is valid. */
    @Test
    void aPathWhoseReferenceIsNotValidYetIsDeferredNotRejected() throws Exception {
        NarInfo ref = upload("referred to", TestStore.TRUSTED);
        NarInfo refers = upload("refers", TestStore.TRUSTED);
        refers = new NarInfo(PathInfo.of(refers.info().path(), refers.info().narHash(), refers.info().narSize(),
                List.of(ref.info().path())).sign(TestStore.STORE, TestStore.TRUSTED), refers.url(), "xz", refers.fileHash(),
                refers.fileSize(), "");
        var deferred = assertInstanceOf(BinaryCacheIngest.Outcome.Deferred.class, put(refers));
        assertTrue(deferred.reason().contains(TestStore.print(ref.info().path())), deferred.reason());
        String key = BinaryCacheLayout.narInfoKey(refers.info().path());
        assertTrue(bucket.size(key).isPresent(), "left in place");
        assertFalse(valid(refers.info().path()));

        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(ref));
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, ingest.objectCreated(key)); // delivered again
        assertTrue(valid(refers.info().path()));
    }

    /** Realisations uploaded in either layout: registered when signed by a trusted key, deferred, or moved aside. */
    @Test
    void realisationsInBothLayoutsAreRegisteredDeferredOrRejected() throws Exception {
        NarInfo out = upload("a content-addressed output", TestStore.TRUSTED);
        StorePath drv = TestStore.randomPath("ca.drv");
        DrvOutput byHash = new DrvOutput.ByHash(Hash.sha256(drv.hashPart()), "out");
        DrvOutput byPath = new DrvOutput.ByPath(drv, "out");
        for (DrvOutput id : List.of(byHash, byPath)) {
            Realisation signed = Realisation.of(id, out.info().path()).sign(TestStore.TRUSTED);
            String key = BinaryCacheLayout.realisationKey(id);
            bucket.put(key, BinaryCacheLayout.realisationFile(signed), BinaryCacheLayout.REALISATION_TYPE);
            // Its output's narinfo has not come yet: it waits, in place.
            assertInstanceOf(BinaryCacheIngest.Outcome.Deferred.class, ingest.objectCreated(key));
            assertTrue(bucket.size(key).isPresent());
        }
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(out));
        for (DrvOutput id : List.of(byHash, byPath)) {
            String key = BinaryCacheLayout.realisationKey(id);
            byte[] file = bucket.open(key).orElseThrow().readAllBytes();
            assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, ingest.objectCreated(key));
            Realisation got = Realisation.fromJson(store.functions.queryRealisation(
                    new DrvOutputQuery(id.render(TestStore.STORE))).realisation());
            assertEquals(out.info().path(), got.outPath());
            assertEquals(out.info().path(), BinaryCacheLayout.parseRealisationFile(id,
                    storeBucket.open(key).orElseThrow().readAllBytes()).outPath(), "the store serves it");
            assertTrue(bucket.size(key).isEmpty(), "the upload is handled");
            bucket.put(key, file, BinaryCacheLayout.REALISATION_TYPE);
            assertInstanceOf(BinaryCacheIngest.Outcome.AlreadyValid.class, ingest.objectCreated(key));
        }

        // A stranger's realisation of a new id is moved aside; so is one that contradicts the store's,
        // and the store's own file stays as it was.
        NarInfo other = upload("another output", TestStore.TRUSTED);
        assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(other));
        DrvOutput fresh = new DrvOutput.ByPath(TestStore.randomPath("other.drv"), "out");
        for (DrvOutput id : List.of(fresh, byPath)) {
            String key = BinaryCacheLayout.realisationKey(id);
            bucket.put(key, BinaryCacheLayout.realisationFile(Realisation.of(id, other.info().path()).sign(TestStore.STRANGER)),
                    BinaryCacheLayout.REALISATION_TYPE);
            var rejected = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, ingest.objectCreated(key));
            assertTrue(rejected.reason().contains("lacks a signature by a trusted key"), rejected.reason());
            assertTrue(bucket.size(BinaryCacheLayout.REJECTED_PREFIX + key).isPresent(), "kept aside");
        }
        assertTrue(bucket.size(BinaryCacheLayout.realisationKey(fresh)).isEmpty());
        assertTrue(storeBucket.size(BinaryCacheLayout.realisationKey(fresh)).isEmpty());
        Realisation restored = BinaryCacheLayout.parseRealisationFile(byPath,
                storeBucket.open(BinaryCacheLayout.realisationKey(byPath)).orElseThrow().readAllBytes());
        assertEquals(out.info().path(), restored.outPath());

        // Not a realisation at all.
        String garbage = BinaryCacheLayout.realisationKey(new DrvOutput.ByPath(TestStore.randomPath("g.drv"), "out"));
        bucket.put(garbage, "{\"no\": \"outPath\"}".getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.REALISATION_TYPE);
        var rejected = assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, ingest.objectCreated(garbage));
        assertTrue(rejected.reason().contains("not a valid realisation"), rejected.reason());
    }

    /**
     * 10,000 narinfos uploaded at once (issue 27), ingested 16 at a time as concurrent Lambda
     * invocations would be: 9,990 new paths sharing one NAR file (as Nix uploads a NAR once for paths
     * with the same contents) all become valid with the store's narinfo, and 10 forged narinfos for
     * paths already valid, among them, are each refused with their reason while what the store
     * serves for those paths stays byte for byte as it was.
     */
    @Test
    void tenThousandNarinfosAtOnceAreEachAcceptedOrRefusedAndNothingValidIsDamaged() throws Exception {
        NarInfo shared = upload("the same contents", TestStore.TRUSTED);
        List<NarInfo> valid = new java.util.ArrayList<>();
        Map<StorePath, byte[]> servedBefore = new java.util.HashMap<>();
        for (int i = 0; i < 10; i++) {
            NarInfo n = upload("valid " + i, TestStore.TRUSTED);
            assertInstanceOf(BinaryCacheIngest.Outcome.Registered.class, put(n));
            valid.add(n);
            String key = BinaryCacheLayout.narInfoKey(n.info().path());
            servedBefore.put(n.info().path(), storeBucket.open(key).orElseThrow().readAllBytes());
        }
        List<String> keys = new java.util.ArrayList<>();
        List<StorePath> fresh = new java.util.ArrayList<>();
        Map<String, NarInfo> narInfos = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 10_000; i++) {
            NarInfo n;
            if (i % 1000 == 500) {
                // A forgery for a valid path: its own narinfo's path, the shared NAR's hash and file.
                PathInfo target = valid.get(i / 1000).info();
                n = new NarInfo(PathInfo.of(target.path(), shared.info().narHash(), shared.info().narSize(), List.of())
                        .sign(TestStore.STORE, TestStore.TRUSTED), shared.url(), "xz", shared.fileHash(), shared.fileSize(), "");
            } else {
                StorePath path = TestStore.randomPath("burst-" + i);
                n = new NarInfo(PathInfo.of(path, shared.info().narHash(), shared.info().narSize(), List.of())
                        .sign(TestStore.STORE, TestStore.TRUSTED), shared.url(), "xz", shared.fileHash(), shared.fileSize(), "");
                fresh.add(path);
            }
            String key = BinaryCacheLayout.narInfoKey(n.info().path());
            keys.add(key);
            narInfos.put(key, n);
        }
        Map<String, BinaryCacheIngest.Outcome> outcomes = new java.util.concurrent.ConcurrentHashMap<>();
        try (var uploaders = java.util.concurrent.Executors.newFixedThreadPool(16)) {
            List<java.util.concurrent.Future<?>> all = new java.util.ArrayList<>();
            for (String key : keys) {
                all.add(uploaders.submit(() -> {
                    bucket.put(key, narInfos.get(key).render(TestStore.STORE).getBytes(StandardCharsets.UTF_8),
                            BinaryCacheLayout.NARINFO_TYPE);
                    return null;
                }));
            }
            for (var f : all) {
                f.get();
            }
            all.clear();
            for (String key : keys) {
                all.add(uploaders.submit(() -> outcomes.put(key, ingest.objectCreated(key))));
            }
            for (var f : all) {
                f.get();
            }
        }
        assertEquals(10_000, outcomes.size());
        long registered = outcomes.values().stream().filter(BinaryCacheIngest.Outcome.Registered.class::isInstance).count();
        assertEquals(9_990, registered, "every new path registered");
        for (NarInfo forged : valid) {
            String key = BinaryCacheLayout.narInfoKey(forged.info().path());
            BinaryCacheIngest.Outcome o = outcomes.get(key);
            assertInstanceOf(BinaryCacheIngest.Outcome.Rejected.class, o, key);
            assertTrue(((BinaryCacheIngest.Outcome.Rejected) o).reason().contains("is already valid with NAR hash"), o.toString());
            assertArrayEquals(servedBefore.get(forged.info().path()), storeBucket.open(key).orElseThrow().readAllBytes(),
                    "what the store serves for a valid path is untouched");
            assertTrue(valid(forged.info().path()));
        }
        // Every new path is valid and served with the store's narinfo; no uploaded narinfo is left.
        Map<String, dev.cumulus.functions.tables.StoredPath> stored = store.tables.paths()
                .getAll(fresh.stream().map(StorePath::hashPart).toList());
        assertEquals(9_990, stored.size());
        for (StorePath p : fresh.subList(0, 200)) {
            assertTrue(storeBucket.size(BinaryCacheLayout.narInfoKey(p)).isPresent(), p.toString());
        }
        for (String k : keys) {
            assertTrue(bucket.size(k).isEmpty(), k + ": each narinfo upload was handled (accepted or moved aside)");
        }
    }
}
