package dev.cumulus.model.derivation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DerivationTest {
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Anonymised vectors: every hash was replaced by "aaaa…" after Nix wrote them, so their inputs
     * are not in the order Nix (and we) print. They are checked for parse, print, parse.
     */
    static final List<String> ANONYMISED = List.of("firefox.drv", "hello.drv");
    static final List<String> MALFORMED = List.of("bad-version.drv", "bad-old-version-dyn-deps.drv", "bad-ca-fixed-path.drv");

    /** The .drv vectors that are ATerm text (some are git symlinks stored as their target path). */
    static Stream<Path> atermVectors() throws IOException {
        return Files.walk(Shared.vectors("derivation"))
                .filter(p -> p.toString().endsWith(".drv") && !p.toString().endsWith("-modulo.drv")
                        && !MALFORMED.contains(p.getFileName().toString()))
                .filter(DerivationTest::isAterm)
                .sorted();
    }

    static boolean isAterm(Path p) {
        String s = Shared.read(p);
        return s.startsWith("Derive(") || s.startsWith("DrvWithVersion(");
    }

    static String nameOf(Path drvFile) {
        Path json = Path.of(drvFile.toString().replaceAll("\\.drv$", ".json"));
        if (Files.exists(json)) {
            try {
                return JSON.readTree(json.toFile()).get("name").asText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return drvFile.getFileName().toString().replaceAll("\\.drv$", "");
    }

    @ParameterizedTest
    @MethodSource("atermVectors")
    void atermRoundTripsByteForByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Derivation drv = Derivation.parse(STORE, nameOf(file), bytes);
        if (ANONYMISED.contains(file.getFileName().toString())) {
            assertEquals(drv, Derivation.parse(STORE, drv.name(), drv.toAterm(STORE)));
            assertEquals(bytes.length, drv.toAterm(STORE).getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            return;
        }
        String expected = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        String actual = drv.toAterm(STORE);
        int same = 0;
        while (same < Math.min(expected.length(), actual.length()) && expected.charAt(same) == actual.charAt(same)) {
            same++;
        }
        final int diff = same;
        assertEquals(expected.length(), diff, () -> "differs at " + file + ":" + diff + ": expected '"
                + expected.substring(diff, Math.min(expected.length(), diff + 60)) + "' got '"
                + actual.substring(diff, Math.min(actual.length(), diff + 60)) + "'");
        assertEquals(expected, actual);
        Path json = Path.of(file.toString().replaceAll("\\.drv$", ".json"));
        if (Files.exists(json)) {
            JsonNode expectedJson = JSON.readTree(json.toFile());
            assertEquals(expectedJson, DerivationJson.toJson(drv), file.toString());
            assertEquals(drv, DerivationJson.fromJson(expectedJson));
        }
    }

    @Test
    void everyJsonVectorRoundTrips() throws IOException {
        List<Path> jsons;
        try (Stream<Path> s = Files.walk(Shared.vectors("derivation"))) {
            // try-resolve/ and invariants/ pin other operations, in shapes of their own.
            jsons = s.filter(p -> p.toString().endsWith(".json") && !p.toString().contains("/try-resolve/")
                    && !p.toString().contains("/invariants/")).toList();
        }
        int n = 0;
        for (Path p : jsons) {
            JsonNode j = JSON.readTree(p.toFile());
            if (!j.has("version") || !j.has("outputs") || !j.has("builder") || !j.path("inputs").isObject()) {
                continue; // output-only, option and invariant vectors have other shapes
            }
            Derivation drv = DerivationJson.fromJson(j);
            assertEquals(j, DerivationJson.toJson(drv), p.toString());
            if (drv.outputs().values().stream().noneMatch(o -> o instanceof DerivationOutput.CaFixed)
                    || drv.outputs().size() == 1) {
                assertEquals(drv, Derivation.parse(STORE, drv.name(), drv.toAterm(STORE)), p.toString());
            }
            n++;
        }
        assertTrue(n >= 15, "read " + n + " derivation JSON vectors");
    }

    @Test
    void outputJsonVectorsParse() throws IOException {
        Map<String, Class<?>> kinds = Map.of("output-caFixedFlat", DerivationOutput.CaFixed.class,
                "output-caFixedNAR", DerivationOutput.CaFixed.class, "output-caFixedText", DerivationOutput.CaFixed.class,
                "output-caFloating", DerivationOutput.CaFloating.class, "output-deferred", DerivationOutput.Deferred.class,
                "output-impure", DerivationOutput.Impure.class, "output-inputAddressed", DerivationOutput.InputAddressed.class);
        for (var e : kinds.entrySet()) {
            JsonNode j = JSON.readTree(Shared.vectors("derivation/" + e.getKey() + ".json").toFile());
            DerivationOutput o = DerivationJson.outputFromJson("out", j);
            assertEquals(e.getValue(), o.getClass());
            assertEquals(j, DerivationJson.outputToJson(o));
        }
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void rejectsMalformedDerivations(String file) {
        String text = Shared.read(Shared.vectors("derivation/" + file));
        DerivationFormatException e = assertThrows(DerivationFormatException.class,
                () -> Derivation.parse(STORE, "x", text));
        assertTrue(e.getMessage().length() > 10);
    }

    static Stream<String> malformed() {
        return MALFORMED.stream();
    }

    @Test
    void rejectsTruncatedAndGarbledText() {
        String good = Shared.read(Shared.vectors("derivation/simple-derivation.drv"));
        for (int cut = 0; cut < good.length(); cut += 7) {
            String part = good.substring(0, cut);
            assertThrows(DerivationFormatException.class, () -> Derivation.parse(STORE, "x", part));
        }
        assertThrows(DerivationFormatException.class, () -> Derivation.parse(STORE, "x", good + " "));
        assertThrows(DerivationFormatException.class, () -> Derivation.parse(STORE, "x", new byte[] {'D', (byte) 0xff}));
    }

    /**
     * hash-modulo/: each X.drv's hash modulo equals the sha256 of X-modulo.drv, whose text shows
     * inputs replaced by their hashes and outputs masked; the input derivations are found by the
     * paths their files compute to.
     */
    @Test
    void hashDerivationModuloMatchesNix() throws IOException {
        Path dir = Shared.vectors("derivation/hash-modulo");
        Map<StorePath, Derivation> byPath = new HashMap<>();
        Map<String, Derivation> byFile = new HashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".drv") && !f.toString().endsWith("-modulo.drv")).toList()) {
                Derivation d = Derivation.parse(STORE, nameOf(p), Files.readAllBytes(p));
                byPath.put(d.drvPath(STORE), d);
                byFile.put(p.getFileName().toString().replace(".drv", ""), d);
            }
        }
        DerivationHasher hasher = new DerivationHasher(STORE, path -> {
            Derivation d = byPath.get(path);
            if (d == null) {
                throw new AssertionError("no vector computes to " + path);
            }
            return d;
        });
        int checked = 0;
        for (var e : byFile.entrySet()) {
            Path modulo = dir.resolve(e.getKey() + "-modulo.drv");
            if (!Files.exists(modulo)) {
                continue;
            }
            Hash expected = Hash.sha256(Files.readString(modulo));
            var h = hasher.hashModulo(e.getValue(), true);
            h.outputHashes().values().forEach(v -> assertEquals(expected, v, e.getKey()));
            checked++;
        }
        assertEquals(4, checked);
        // (The vectors' input-addressed output paths are made up; NixCompatTest checks ours against nix-instantiate.)
    }

    @Test
    void placeholdersAreNixs() {
        assertEquals("/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9", Derivation.hashPlaceholder("out"));
    }
}
