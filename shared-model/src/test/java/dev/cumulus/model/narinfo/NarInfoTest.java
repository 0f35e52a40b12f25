package dev.cumulus.model.narinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NarInfoTest {
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final String TEXT = """
            StorePath: /nix/store/i1rngfb9rq4fk4vdafz5qalx07flbs9g-f1
            URL: nar/09kxyd68d2nylk7ims23pj3i09s4nnv9p3dv6iij1q9canv42w6d.nar.xz
            Compression: xz
            FileHash: sha256:09kxyd68d2nylk7ims23pj3i09s4nnv9p3dv6iij1q9canv42w6d
            FileSize: 124
            NarHash: sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h
            NarSize: 120
            References: g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar n5wkd9frr45pa74if5gpz9j7mifg27fh-foo
            Deriver: g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv
            CA: fixed:r:sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h
            """;

    @Test
    void parsesAndRendersNixsText() {
        NarInfo n = NarInfo.parse(STORE, TEXT);
        assertEquals(TEXT, n.render(STORE));
        assertEquals(2, n.info().references().size());
        assertEquals("1;/nix/store/i1rngfb9rq4fk4vdafz5qalx07flbs9g-f1;sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h;120;"
                + "/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar,/nix/store/n5wkd9frr45pa74if5gpz9j7mifg27fh-foo",
                n.info().fingerprint(STORE));
    }

    @Test
    void rejectsBrokenNarinfos() {
        assertThrows(IllegalArgumentException.class, () -> NarInfo.parse(STORE, TEXT.replace("NarHash", "Narhash")));
        assertThrows(IllegalArgumentException.class, () -> NarInfo.parse(STORE, TEXT.replace("NarSize: 120", "NarSize: x")));
        assertThrows(IllegalArgumentException.class, () -> NarInfo.parse(STORE, TEXT + "garbage\n"));
        assertThrows(IllegalArgumentException.class, () -> NarInfo.parse(STORE, TEXT + "Sig: k:bm90IGEgc2lnbmF0dXJl\n"));
    }

    @Test
    void signaturesCoverPathHashSizeAndReferences() {
        SecretKey key = SecretKey.generate("cache.example.org-1");
        PublicKey pub = key.publicKey();
        PathInfo info = NarInfo.parse(STORE, TEXT).info().sign(STORE, key);
        assertEquals(1, info.countValidSignatures(STORE, List.of(pub)));
        NarInfo reparsed = NarInfo.parse(STORE, new NarInfo(info, "nar/x.nar", "none", Optional.empty(), 0, "").render(STORE));
        assertEquals(1, reparsed.info().countValidSignatures(STORE, List.of(pub)));
        PathInfo tampered = PathInfo.of(info.path(), Hash.sha256("other"), info.narSize(), info.references())
                .withSignatures(info.signatures());
        assertEquals(0, tampered.countValidSignatures(STORE, List.of(pub)));
        PathInfo fewerRefs = PathInfo.of(info.path(), info.narHash(), info.narSize(), List.of())
                .withSignatures(info.signatures());
        assertEquals(0, fewerRefs.countValidSignatures(STORE, List.of(pub)));
        assertEquals(0, info.countValidSignatures(STORE, List.of(SecretKey.generate("cache.example.org-1").publicKey())));
    }

    @Test
    void keysRoundTripInNixsFormat() {
        SecretKey key = SecretKey.generate("k1");
        SecretKey again = SecretKey.parse(key.render());
        assertEquals(key.publicKey(), again.publicKey());
        assertEquals(key.publicKey(), PublicKey.parse(key.publicKey().render()));
        assertTrue(key.render().startsWith("k1:"));
        Signature s = key.sign("hello");
        assertTrue(key.publicKey().verify("hello", Signature.parse(s.render())));
        assertFalse(key.publicKey().verify("hellO", s));
        assertThrows(IllegalArgumentException.class, () -> SecretKey.parse("k1:AAAA"));
        assertThrows(IllegalArgumentException.class, () -> SecretKey.parse("no-colon"));
        // A secret key whose public half was changed is refused.
        String corrupt = key.render().substring(0, key.render().length() - 4) + "AAA=";
        assertThrows(IllegalArgumentException.class, () -> SecretKey.parse(corrupt));
    }

    @Test
    void contentAddressedPathsAreRecognised() {
        StorePath p = STORE.parse("/nix/store/i1rngfb9rq4fk4vdafz5qalx07flbs9g-f1");
        PathInfo info = NarInfo.parse(STORE, TEXT).info();
        PathInfo noRefs = PathInfo.of(p, info.narHash(), 120, List.of()).withCa(info.ca());
        assertTrue(noRefs.isContentAddressed(STORE));
        assertFalse(info.isContentAddressed(STORE), "the references are part of the path, so this one does not match");
    }
}
