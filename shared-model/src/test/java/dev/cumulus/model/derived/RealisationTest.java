package dev.cumulus.model.derived;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.testing.Shared;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RealisationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final StoreDir STORE = StoreDir.DEFAULT;

    JsonNode vector(String name) throws IOException {
        return JSON.readTree(Shared.vectors(name).toFile());
    }

    @Test
    void newFormRoundTripsAndHasNixsFingerprint() throws IOException {
        for (String v : List.of("simple", "with-signature")) {
            JsonNode j = vector("realisation/" + v + ".json");
            Realisation r = Realisation.fromJson(j);
            assertEquals(j, r.toJson());
            assertEquals(Shared.read(Shared.vectors("realisation/" + v + "-fingerprint.txt")).strip(), r.fingerprint());
            assertEquals("/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv^foo", r.id().render(STORE));
        }
        assertEquals(Realisation.fromJson(vector("realisation/with-signature.json")),
                Realisation.fromJson(vector("realisation/with-signature-unstructured.json")));
    }

    @Test
    void theUnkeyedFormIsWhatNix235sBinaryCachesKeepUnderTheBuildTrace() throws IOException {
        for (String v : List.of("simple", "with-signature")) {
            Realisation keyed = Realisation.fromJson(vector("realisation/" + v + ".json"));
            DrvOutput.ByPath id = (DrvOutput.ByPath) keyed.id();
            JsonNode unkeyed = vector("realisation/unkeyed-" + v + ".json");
            assertEquals(keyed, Realisation.fromUnkeyedJson(id, unkeyed.toString()));
            assertEquals(unkeyed, JSON.readTree(keyed.toUnkeyedJsonString()));
            String key = BinaryCacheLayout.realisationKey(id);
            assertEquals("build-trace-v2/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv/foo.doi", key);
            assertEquals(java.util.Optional.of(id), BinaryCacheLayout.realisationIdOfKey(key));
            assertEquals(keyed, BinaryCacheLayout.parseRealisationFile(id, BinaryCacheLayout.realisationFile(keyed)));
        }
        DrvOutput.ByHash legacy = DrvOutput.ByHash.parse("sha256:15e3c560894cbb27085cf65b5a2ecb18488c999497f4531b6907a7581ce6d527!out");
        assertEquals("realisations/" + legacy.render() + ".doi", BinaryCacheLayout.realisationKey(legacy));
        assertEquals(java.util.Optional.of(legacy), BinaryCacheLayout.realisationIdOfKey(BinaryCacheLayout.realisationKey(legacy)));
        for (String notOne : List.of("realisations/x.doi", "realisations/a/" + legacy.render() + ".doi", "x.narinfo",
                "build-trace-v2/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv/foo/bar.doi", "build-trace-v2/not-a-path/foo.doi",
                "build-trace-v2/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar/foo.doi")) {
            assertEquals(java.util.Optional.empty(), BinaryCacheLayout.realisationIdOfKey(notOne), notOne);
        }
        // A file whose id is not the one its key names is refused.
        Realisation elsewhere = Realisation.of(legacy, StorePath.parseBaseName("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo"));
        DrvOutput.ByHash other = new DrvOutput.ByHash(legacy.drvHash(), "dev");
        assertThrows(IllegalArgumentException.class,
                () -> BinaryCacheLayout.parseRealisationFile(other, BinaryCacheLayout.realisationFile(elsewhere)));
    }

    @Test
    void legacyFingerprintCoversDependenciesNotSignatures() throws IOException {
        // The wire bytes of these realisations are checked in wire.WorkerProtocolVectorTest.
        Realisation r = Realisation.fromJson(vector("worker-protocol/realisation-with-deps.json").get(0));
        assertEquals(1, r.dependentRealisations().size());
        assertTrue(r.fingerprint().startsWith("{\"dependentRealisations\":{\"sha256:6f869f"));
        assertFalse(r.fingerprint().contains("signatures"));
    }

    @Test
    void signsAndVerifies() {
        SecretKey key = SecretKey.generate("cumulus-test-1");
        Realisation r = Realisation.of(DrvOutput.ByHash.parse(
                "sha256:15e3c560894cbb27085cf65b5a2ecb18488c999497f4531b6907a7581ce6d527!out"),
                StorePath.parseBaseName("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo")).sign(key);
        assertTrue(r.isSignedBy(List.of(key.publicKey())));
        Realisation moved = new Realisation(r.id(), StorePath.parseBaseName("n5wkd9frr45pa74if5gpz9j7mifg27fh-foo"),
                r.signatures(), r.dependentRealisations());
        assertFalse(moved.isSignedBy(List.of(key.publicKey())));
        assertFalse(r.isSignedBy(List.of(SecretKey.generate("cumulus-test-1").publicKey())));
    }

    @Test
    void derivedPathsAndOutputIds() {
        String drv = "/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv";
        for (String s : List.of(drv, drv + "!out", drv + "!*", drv + "!dev,out", drv + "!bar!baz")) {
            assertEquals(s, DerivedPath.parse(STORE, s).render(STORE));
        }
        assertEquals(new OutputsSpec.All(), ((DerivedPath.Built) DerivedPath.parse(STORE, drv + "!*")).outputs());
        assertEquals(drv + "^out", DrvOutput.parse(STORE, drv + "^out").render(STORE));
        assertThrows(IllegalArgumentException.class, () -> DrvOutput.parse(STORE, "sha256:nothex!out"));
        assertThrows(IllegalArgumentException.class, () -> OutputsSpec.parse("a,,b"));
    }
}
