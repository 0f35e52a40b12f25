package dev.cumulus.model.derivation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

class DerivationPropertyTest {
    static final StoreDir STORE = StoreDir.DEFAULT;

    /** Any strings (quotes, backslashes, control characters, non-ASCII) survive ATerm and JSON. */
    @Property(tries = 300)
    void atermAndJsonRoundTrip(@ForAll @StringLength(max = 40) String value, @ForAll @StringLength(max = 10) String arg) {
        StorePath src = StorePath.parseBaseName("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-src");
        StorePath dep = StorePath.parseBaseName("n5wkd9frr45pa74if5gpz9j7mifg27fh-dep.drv");
        Derivation drv = new Derivation("prop", new TreeMap<>(Map.of("out", new DerivationOutput.Deferred())),
                new TreeMap<>(Map.of(dep, DerivationInput.of(Set.of("out", "dev")))), new TreeSet<>(Set.of(src)),
                "x86_64-linux", "/bin/sh", List.of(arg, value), new TreeMap<>(Map.of("v", value, "out", "")));
        String aterm = drv.toAterm(STORE);
        assertEquals(drv, Derivation.parse(STORE, "prop", aterm));
        assertEquals(aterm, Derivation.parse(STORE, "prop", aterm).toAterm(STORE));
        assertEquals(drv, DerivationJson.fromJson(DerivationJson.toJson(drv)));
    }
}
