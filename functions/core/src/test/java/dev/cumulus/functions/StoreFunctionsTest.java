package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static dev.cumulus.functions.TestStore.contentAddressed;
import static dev.cumulus.functions.TestStore.print;
import static dev.cumulus.functions.TestStore.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.AddSignatures;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.HashPartQuery;
import dev.cumulus.model.event.Requests.PageQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Requests.RegisterRealisation;
import dev.cumulus.model.event.Responses.Registered;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalStackExtension.class)
class StoreFunctionsTest {

    @Test
    void registeredPathsAnswerEveryQuery(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo lib = signed("lib");
        PathInfo app = signed("app", lib.path());
        PathInfo self = contentAddressed("src");
        NewPath withNar = new NewPath(PathInfoEvent.of(STORE, app), new NarObject("nar/x.nar.zst", "zstd", "sha256:abc", 42),
                Map.of());
        store.bucket.put("nar/x.nar.zst", new byte[42], BinaryCacheLayout.NAR_TYPE); // a registration may look for it
        Registered r = store.client.call(StoreFunction.REGISTER_PATHS,
                new RegisterPaths(false, true, List.of(TestStore.newPath(lib), withNar, TestStore.newPath(self))));
        assertEquals(List.of(print(lib.path()), print(app.path()), print(self.path())), r.registered());

        PathInfoEvent got = store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(app.path()))).info();
        PathInfo back = got.toPathInfo(STORE);
        assertEquals(app.narHash(), back.narHash());
        assertEquals(app.narSize(), back.narSize());
        assertEquals(app.references(), back.references());
        assertEquals(app.signatures(), back.signatures());
        assertTrue(back.registrationTime() > 0, "the store stamps the registration time");
        assertEquals(Optional.of(PathInfoEvent.of(STORE, self).ca()), Optional.of(
                store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(self.path()))).info().ca()));
        // Where the NAR is stays in the table; no query answer carries it.
        assertEquals("nar/x.nar.zst", store.tables.paths().get(app.path().hashPart()).orElseThrow().nar().orElseThrow().key());

        StorePath missing = TestStore.randomPath("missing");
        assertNull(store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(missing))).info());
        assertTrue(store.valid(app.path()));
        assertFalse(store.valid(missing));
        // Same hash part, another name: not the same path.
        assertFalse(store.valid(new StorePath(app.path().hashPart(), "other")));

        assertEquals(List.of(print(lib.path()), print(app.path())), store.client.call(StoreFunction.QUERY_VALID_PATHS,
                new PathsQuery(List.of(print(lib.path()), print(missing), print(app.path())))).paths());
        assertEquals(print(app.path()), store.client.call(StoreFunction.QUERY_PATH_FROM_HASH_PART,
                new HashPartQuery(app.path().hashPart())).path());
        assertNull(store.client.call(StoreFunction.QUERY_PATH_FROM_HASH_PART, new HashPartQuery(missing.hashPart())).path());
        assertEquals(List.of(print(app.path())),
                store.client.call(StoreFunction.QUERY_REFERRERS, new PathQuery(print(lib.path()))).paths());
        assertEquals(List.of(), store.client.call(StoreFunction.QUERY_REFERRERS, new PathQuery(print(app.path()))).paths());
    }

    @Test
    void malformedRequestsGetClearErrors(LocalStack stack) {
        TestStore store = new TestStore(stack);
        var e = assertThrows(FunctionFailedException.class,
                () -> store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery("/tmp/not-a-store-path")));
        assertTrue(e.getMessage().contains("/tmp/not-a-store-path"), e.getMessage());
        e = assertThrows(FunctionFailedException.class,
                () -> store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(null)));
        assertTrue(e.getMessage().contains("'path' is missing"), e.getMessage());
        e = assertThrows(FunctionFailedException.class,
                () -> store.client.call(StoreFunction.QUERY_REALISATION, new DrvOutputQuery("nonsense")));
        assertTrue(e.getMessage().contains("nonsense"), e.getMessage());
    }

    @Test
    void allValidPathsComeInPagesWithoutRepeats(LocalStack stack) {
        TestStore store = new TestStore(stack);
        List<PathInfo> mine = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            mine.add(signed("page-" + i));
        }
        store.register(mine.toArray(PathInfo[]::new));
        Set<String> seen = new HashSet<>();
        String after = null;
        do {
            var page = store.client.call(StoreFunction.QUERY_ALL_VALID_PATHS, new PageQuery(after, 7));
            assertTrue(page.paths().size() <= 7);
            for (String p : page.paths()) {
                assertTrue(seen.add(p), "no path twice: " + p);
            }
            after = page.next();
        } while (after != null);
        for (PathInfo p : mine) {
            assertTrue(seen.contains(print(p.path())));
        }
    }

    @Test
    void derivationsAnswerDeriversAndOutputMaps(LocalStack stack) {
        TestStore store = new TestStore(stack);
        StorePath drv = TestStore.randomPath("hello.drv");
        PathInfo drvInfo = PathInfo.of(drv, Hash.sha256("drv"), 300, List.of()).sign(STORE, TestStore.TRUSTED);
        StorePath out = TestStore.randomPath("hello");
        Map<String, String> outputs = new LinkedHashMap<>();
        outputs.put("out", print(out));
        outputs.put("dev", null); // floating: known once built
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true,
                List.of(new NewPath(PathInfoEvent.of(STORE, drvInfo), null, outputs))));

        assertEquals(List.of(print(drv)), store.client.call(StoreFunction.QUERY_VALID_DERIVERS,
                new PathQuery(print(out))).paths());
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("dev", null);
        expected.put("out", print(out));
        assertEquals(expected, store.client.call(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP, new PathQuery(print(drv)))
                .outputs());

        // The floating output, once realised under the <drvPath>^dev id, appears in the map.
        PathInfo dev = signed("hello-dev");
        store.register(dev);
        Realisation realisation = Realisation.of(new DrvOutput.ByPath(drv, "dev"), dev.path());
        store.client.call(StoreFunction.REGISTER_DRV_OUTPUT, new RegisterRealisation(true, realisation.toJson()));
        expected.put("dev", print(dev.path()));
        assertEquals(expected, store.client.call(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP, new PathQuery(print(drv)))
                .outputs());

        var e = assertThrows(FunctionFailedException.class, () -> store.client.call(
                StoreFunction.QUERY_DERIVATION_OUTPUT_MAP, new PathQuery(print(TestStore.randomPath("x.drv")))));
        assertTrue(e.getMessage().contains("is not valid"), e.getMessage());
    }

    @Test
    void aFloatingOutputIsFoundThroughARealisationKeyedByTheDerivationsHash(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        String name = "floating-" + TestStore.randomPath("x").hashPart().substring(0, 8);
        String aterm = "Derive([(\"out\",\"\",\"r:sha256\",\"\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo\"],"
                + "[(\"builder\",\"/bin/sh\"),(\"name\",\"" + name + "\"),"
                + "(\"out\",\"/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9\"),(\"outputHashAlgo\",\"sha256\"),"
                + "(\"outputHashMode\",\"recursive\"),(\"system\",\"x86_64-linux\")])";
        StorePath drv = TestStore.randomPath(name + ".drv");
        Path file = Files.createTempFile("drv", "");
        Files.writeString(file, aterm);
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        NarWriter.dump(file, nar);
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar.toByteArray());
        String key = BinaryCacheLayout.narKey(narHash, NarCompression.NONE);
        store.bucket.put(key, nar.toByteArray(), BinaryCacheLayout.NAR_TYPE);
        Map<String, String> outputs = new LinkedHashMap<>();
        outputs.put("out", null);
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(true, false, List.of(new NewPath(
                PathInfoEvent.of(STORE, PathInfo.of(drv, narHash, nar.size(), List.of())),
                new NarObject(key, NarCompression.NONE.nixName(), narHash.toString(), nar.size()), outputs))));
        Map<String, String> unbuilt = new LinkedHashMap<>();
        unbuilt.put("out", null);
        assertEquals(unbuilt, store.client.call(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP, new PathQuery(print(drv))).outputs());

        // A client up to Nix 2.34 copies the output with its realisation, keyed by the hash modulo.
        Hash hash = new DerivationHasher(STORE, p -> { throw new AssertionError("no inputs"); })
                .hashModulo(Derivation.parse(STORE, name, aterm.getBytes(StandardCharsets.UTF_8)), true).outputHashes().get("out");
        PathInfo built = signed(name);
        store.register(built);
        store.client.call(StoreFunction.REGISTER_DRV_OUTPUT, new RegisterRealisation(true,
                Realisation.of(new DrvOutput.ByHash(hash, "out"), built.path()).toJson()));
        assertEquals(Map.of("out", print(built.path())), store.client.call(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP,
                new PathQuery(print(drv))).outputs());
    }

    @Test
    void realisationsInBothFormsAndConflictsRefused(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo out = signed("ca-out");
        PathInfo other = signed("ca-other");
        store.register(out, other);
        DrvOutput byHash = new DrvOutput.ByHash(Hash.sha256(TestStore.randomPath("h").hashPart()), "out");
        DrvOutput byPath = new DrvOutput.ByPath(TestStore.randomPath("ca.drv"), "out");
        for (DrvOutput id : List.of(byHash, byPath)) {
            Realisation r = Realisation.of(id, out.path()).sign(TestStore.TRUSTED);
            // Untrusted callers need the trusted key's signature; this one has it.
            store.client.call(StoreFunction.REGISTER_DRV_OUTPUT, new RegisterRealisation(false, r.toJson()));
            JsonNode got = store.client.call(StoreFunction.QUERY_REALISATION, new DrvOutputQuery(id.render(STORE)))
                    .realisation();
            assertEquals(r, Realisation.fromJson(got));
            // The same mapping again is fine; another path for the same id is refused.
            store.client.call(StoreFunction.REGISTER_DRV_OUTPUT, new RegisterRealisation(true, r.toJson()));
            var e = assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.REGISTER_DRV_OUTPUT,
                    new RegisterRealisation(true, Realisation.of(id, other.path()).toJson())));
            assertTrue(e.getMessage().contains("already maps to"), e.getMessage());
        }
        DrvOutput fresh = new DrvOutput.ByHash(Hash.sha256("fresh"), "out");
        var unsigned = assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.REGISTER_DRV_OUTPUT,
                new RegisterRealisation(false, Realisation.of(fresh, out.path()).sign(TestStore.STRANGER).toJson())));
        assertTrue(unsigned.getMessage().contains("lacks a signature by a trusted key"), unsigned.getMessage());
        var invalidOut = assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.REGISTER_DRV_OUTPUT,
                new RegisterRealisation(true, Realisation.of(fresh, TestStore.randomPath("nowhere")).toJson())));
        assertTrue(invalidOut.getMessage().contains("is not valid"), invalidOut.getMessage());
        assertNull(store.client.call(StoreFunction.QUERY_REALISATION, new DrvOutputQuery(fresh.render(STORE))).realisation());
    }

    @Test
    void addSignaturesKeepsThoseThere(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo p = signed("sigs");
        store.register(p);
        String extra = TestStore.STRANGER.sign(p.fingerprint(STORE)).render();
        assertEquals(1, store.client.call(StoreFunction.ADD_SIGNATURES, new AddSignatures(print(p.path()), List.of(extra)))
                .added());
        assertEquals(0, store.client.call(StoreFunction.ADD_SIGNATURES, new AddSignatures(print(p.path()), List.of(extra)))
                .added());
        assertEquals(2, store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(p.path()))).info()
                .signatures().size());
        assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.ADD_SIGNATURES,
                new AddSignatures(print(TestStore.randomPath("gone")), List.of(extra))));
    }
}
