package dev.cumulus.model.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.testing.Shared;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorePathTest {
    final StoreDir store = StoreDir.DEFAULT;

    @Test
    void parsesTheVectorAndPrintsItBack() throws Exception {
        String base = new ObjectMapper().readTree(Shared.vectors("store-path/simple.json").toFile()).asText();
        StorePath p = StorePath.parseBaseName(base);
        assertEquals("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q", p.hashPart());
        assertEquals("foo.drv", p.name());
        assertTrue(p.isDerivation());
        assertEquals(p, store.parse("/nix/store/" + base));
        assertEquals("/nix/store/" + base, store.print(p));
    }

    @Test
    void rejectsBadPathsAndNames() {
        assertThrows(InvalidStorePathException.class, () -> store.parse("/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q"));
        assertThrows(InvalidStorePathException.class, () -> store.parse("/nix/store/e1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-x"));
        assertThrows(InvalidStorePathException.class, () -> store.parse("/other/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-x"));
        assertThrows(InvalidStorePathException.class, () -> store.parse("/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-x/y"));
        for (String bad : List.of("", ".", "..", ".-x", "..-x", "a b", "ü", "x".repeat(212), "a/b")) {
            assertThrows(InvalidStorePathException.class, () -> StorePath.checkName(bad), bad);
        }
        StorePath.checkName(".x");
        StorePath.checkName("x".repeat(211));
        StorePath.checkName("a+b-c.d_e?f=g");
        assertEquals("/sub/dir", store.parseWithSubpath("/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-x/sub/dir").subpath());
    }

    @Test
    void computesPathsAsNixDoes() {
        // Values computed by Nix (also checked against the real nix in NixCompatTest).
        Hash empty = Hash.sha256("");
        StorePath text = store.makeTextPath("foo", empty, List.of());
        assertEquals(text, store.makeFixedOutputPath("foo", ContentAddressMethod.TEXT, empty, List.of(), false));
        StorePath other = new StoreDir("/gnu/store").makeTextPath("foo", empty, List.of());
        assertFalse(text.hashPart().equals(other.hashPart()), "the store directory is part of the hash");
        assertThrows(IllegalArgumentException.class,
                () -> store.makeFixedOutputPath("x", ContentAddressMethod.FLAT, empty, List.of(text), false));
    }

    @Test
    void contentAddressesRoundTrip() throws Exception {
        ObjectMapper m = new ObjectMapper();
        for (String f : List.of("nar", "text")) {
            var n = m.readTree(Shared.vectors("content-address/" + f + ".json").toFile());
            ContentAddress ca = new ContentAddress(ContentAddressMethod.fromJsonName(n.get("method").asText()),
                    Hash.parseSri(n.get("hash").asText()));
            assertEquals(ca, ContentAddress.parse(ca.render()));
            assertTrue(ca.render().startsWith(f.equals("nar") ? "fixed:r:sha256:" : "text:sha256:"));
        }
        assertEquals("fixed:sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73",
                ContentAddress.parse("fixed:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").render());
        assertThrows(IllegalArgumentException.class, () -> ContentAddress.parse("nope:sha256:x"));
    }
}
