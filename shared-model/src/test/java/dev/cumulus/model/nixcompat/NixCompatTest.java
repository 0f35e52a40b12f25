package dev.cumulus.model.nixcompat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.derivation.DerivationOutput;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.nar.NarTrees;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.testing.Nix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model against the real Nix (Debian's nix-bin 2.8) on a private chroot store. */
class NixCompatTest {
    static final StoreDir STORE = StoreDir.DEFAULT;

    @TempDir
    Path tmp;
    Nix nix;

    @BeforeEach
    void setUp() {
        nix = new Nix(tmp.resolve("root"));
    }

    static byte[] dump(Path p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(p, out);
        return out.toByteArray();
    }

    @Test
    void narsAndHashesAreByteIdenticalToNixs() throws IOException {
        for (long seed = 1; seed <= 4; seed++) {
            Path tree = NarTrees.generate(tmp.resolve("tree" + seed), seed);
            byte[] ours = dump(tree);
            assertArrayEquals(nix.okBytes("nix-store", "--dump", tree.toString()), ours, "tree " + seed);
            HashSink sink = new HashSink(HashAlgorithm.SHA256);
            sink.write(ours);
            assertEquals(nix.ok("nix-hash", "--type", "sha256", "--base32", tree.toString()), sink.finish().toNix32());
        }
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        assertArrayEquals(nix.okBytes("nix-store", "--dump", empty.toString()), dump(empty));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), Path.of("target"));
        assertArrayEquals(nix.okBytes("nix-store", "--dump", link.toString()), dump(link));
    }

    @Test
    void addedPathsAreWhereTheModelPutsThem() throws IOException {
        Path tree = NarTrees.generate(tmp.resolve("src"), 11);
        Hash narHash = Hash.of(HashAlgorithm.SHA256, dump(tree));
        StorePath recursive = STORE.parse(nix.ok("nix-store", "--add", tree.toString()));
        assertEquals(STORE.makeFixedOutputPath("src", ContentAddressMethod.NAR, narHash, List.of(), false), recursive);

        Path file = Files.writeString(tmp.resolve("flat.txt"), "flat contents\n");
        Hash fileHash = Hash.of(HashAlgorithm.SHA256, Files.readAllBytes(file));
        StorePath flat = STORE.parse(nix.ok("nix-store", "--add-fixed", "sha256", file.toString()));
        assertEquals(STORE.makeFixedOutputPath("flat.txt", ContentAddressMethod.FLAT, fileHash, List.of(), false), flat);
        StorePath sha1 = STORE.parse(nix.ok("nix-store", "--add-fixed", "--recursive", "sha1", file.toString()));
        assertEquals(STORE.makeFixedOutputPath("flat.txt", ContentAddressMethod.NAR,
                Hash.of(HashAlgorithm.SHA1, dump(file)), List.of(), false), sha1);

        // A text path with a reference, as builtins.toFile makes.
        String expr = "builtins.toFile \"t.txt\" \"uses ${builtins.toFile \"dep\" \"x\"}\"";
        StorePath text = STORE.parse(nix.ok("nix-instantiate", "--eval", "--read-write-mode", "-E", expr)
                .replace("\"", ""));
        StorePath dep = STORE.parse(nix.ok("nix-instantiate", "--eval", "--read-write-mode", "-E",
                "builtins.toFile \"dep\" \"x\"").replace("\"", ""));
        String content = "uses " + STORE.print(dep);
        assertEquals(STORE.makeTextPath("t.txt", Hash.sha256(content), List.of(dep)), text);
    }

    @Test
    void derivationsFromNixInstantiateMatchTheModel() throws IOException {
        Path nixFile = tmp.resolve("drvs.nix");
        Files.writeString(nixFile, """
                let
                  src = builtins.toFile "builder.sh" "echo building > $out";
                  fixed = derivation {
                    name = "fixed"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo fixed > $out" ];
                    outputHashMode = "flat"; outputHashAlgo = "sha256";
                    outputHash = "sha256-UzqwSXH+8qCNkAHjmddIXpbr2NjFvUAxM4F8vJc/ey8=";
                  };
                  dep = derivation {
                    name = "dep"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ src ];
                    outputs = [ "out" "dev" ]; inherit fixed;
                    escaped = "quote \\" backslash \\\\ tab \\t newline \\n ü";
                  };
                  ca = derivation {
                    name = "ca"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ${dep.dev} > $out" ];
                    __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";
                  };
                in {
                  top = derivation {
                    name = "top"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ${dep} > $out" ];
                    inherit fixed;
                  };
                  deferred = derivation {
                    name = "deferred"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "cat ${ca} > $out" ];
                  };
                }
                """);
        List<StorePath> drvPaths = new ArrayList<>();
        for (String attr : List.of("top", "deferred")) {
            drvPaths.add(STORE.parse(nix.ok("nix-instantiate", "-A", attr, nixFile.toString())));
        }
        // Every derivation in the closure: print byte-identical, compute to its own path and outputs.
        List<StorePath> closure = nix.ok("nix-store", "-qR", STORE.print(drvPaths.get(0)), STORE.print(drvPaths.get(1)))
                .lines().map(STORE::parse).filter(StorePath::isDerivation).toList();
        assertTrue(closure.size() >= 5, "closure " + closure);
        DerivationHasher hasher = new DerivationHasher(STORE, this::readDrv);
        boolean sawFixed = false;
        boolean sawFloating = false;
        boolean sawDeferred = false;
        for (StorePath p : closure) {
            byte[] bytes = Files.readAllBytes(nix.real(STORE.print(p)));
            Derivation drv = Derivation.parse(STORE, Derivation.nameFromDrvPath(p), bytes);
            assertEquals(new String(bytes, StandardCharsets.UTF_8), drv.toAterm(STORE), p.toString());
            assertEquals(p, drv.drvPath(STORE), "drv path of " + p);
            JsonNode show = new ObjectMapper().readTree(nix.ok("nix", "show-derivation", STORE.print(p))).get(STORE.print(p));
            for (var e : drv.outputs().entrySet()) {
                JsonNode out = show.get("outputs").get(e.getKey());
                Optional<StorePath> ours = drv.outputPath(STORE, e.getKey());
                assertEquals(out.has("path") ? Optional.of(STORE.parse(out.get("path").asText())) : Optional.empty(), ours,
                        p + "!" + e.getKey());
                sawFixed |= e.getValue() instanceof DerivationOutput.CaFixed;
                sawFloating |= e.getValue() instanceof DerivationOutput.CaFloating;
                sawDeferred |= e.getValue() instanceof DerivationOutput.Deferred;
            }
            if (drv.outputs().values().stream().allMatch(o -> o instanceof DerivationOutput.InputAddressed)) {
                // Input-addressed: the paths Nix chose are the ones made from the hash modulo.
                var computed = hasher.inputAddressedOutputPaths(drv);
                drv.outputs().forEach((name, o) ->
                        assertEquals(((DerivationOutput.InputAddressed) o).path(), computed.get(name), p + "!" + name));
                // And filling in a derivation whose outputs were left empty gives back Nix's exact text.
                var emptied = new java.util.TreeMap<String, DerivationOutput>();
                drv.outputs().keySet().forEach(k -> emptied.put(k, new DerivationOutput.Deferred()));
                Derivation blank = new Derivation(drv.name(), emptied, drv.inputDrvs(), drv.inputSrcs(), drv.platform(),
                        drv.builder(), drv.args(), drv.env());
                assertEquals(drv, hasher.fillInOutputPaths(blank));
            }
        }
        assertTrue(sawFixed && sawFloating && sawDeferred, "fixed " + sawFixed + ", floating " + sawFloating
                + ", deferred " + sawDeferred);
    }

    private Derivation readDrv(StorePath p) {
        try {
            return Derivation.parse(STORE, Derivation.nameFromDrvPath(p), Files.readAllBytes(nix.real(STORE.print(p))));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void narinfoSignaturesVerifyBothWays() throws IOException {
        SecretKey ours = SecretKey.generate("cumulus-test-1");
        Path cache = tmp.resolve("cache");
        Files.createDirectories(cache.resolve("nar"));
        Files.writeString(cache.resolve("nix-cache-info"), "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n");
        // An input-addressed path (so it needs a signature) with a reference, served as a file:// cache.
        Path depTree = Files.writeString(tmp.resolve("dep"), "dependency\n");
        byte[] depNar = dump(depTree);
        StorePath depPath = new StorePath("n5wkd9frr45pa74if5gpz9j7mifg27fh", "dep");
        Path tree = tmp.resolve("pkg");
        Files.createDirectories(tree.resolve("bin"));
        Files.writeString(tree.resolve("bin/tool"), "#!/bin/sh\nexec " + STORE.print(depPath) + "\n");
        byte[] nar = dump(tree);
        StorePath path = new StorePath("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q", "pkg");
        writeNar(cache, depPath, depNar, List.of(), ours);
        writeNar(cache, path, nar, List.of(depPath), ours);

        String cacheUrl = "file://" + cache;
        String pub = ours.publicKey().render();
        Nix.Result good = nix.run(null, "nix", "store", "verify", "--store", cacheUrl, "--trusted-public-keys", pub,
                STORE.print(path), STORE.print(depPath));
        assertEquals(0, good.exit(), good.stderr());
        Nix.Result wrongKey = nix.run(null, "nix", "store", "verify", "--store", cacheUrl, "--trusted-public-keys",
                SecretKey.generate("cumulus-test-1").publicKey().render(), STORE.print(path));
        assertNotEquals(0, wrongKey.exit(), "a signature by another key must not verify");

        // The other way: Nix signs, the model verifies.
        Path nixKey = tmp.resolve("nix.sk");
        Files.writeString(nixKey, nix.ok("nix", "key", "generate-secret", "--key-name", "nix-test-1"));
        PublicKey nixPub = PublicKey.parse(nix.run(Files.readAllBytes(nixKey), "nix", "key", "convert-secret-to-public").out());
        nix.ok("nix", "store", "sign", "--store", cacheUrl, "--key-file", nixKey.toString(), STORE.print(path));
        NarInfo signed = NarInfo.parse(STORE, Files.readString(cache.resolve(path.hashPart() + ".narinfo")));
        assertEquals(1, signed.info().countValidSignatures(STORE, List.of(nixPub)));
        assertEquals(1, signed.info().countValidSignatures(STORE, List.of(ours.publicKey())));
        assertEquals(SecretKey.parse(Files.readString(nixKey)).publicKey(), nixPub, "the model derives Nix's public key");
    }

    private static void writeNar(Path cache, StorePath path, byte[] nar, List<StorePath> refs, SecretKey key)
            throws IOException {
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar);
        Files.write(cache.resolve("nar/" + narHash.toNix32() + ".nar"), nar);
        PathInfo info = PathInfo.of(path, narHash, nar.length, refs).sign(STORE, key);
        NarInfo narInfo = new NarInfo(info, "nar/" + narHash.toNix32() + ".nar", "none", Optional.of(narHash), nar.length, "");
        Files.writeString(cache.resolve(path.hashPart() + ".narinfo"), narInfo.render(STORE));
        assertEquals(1, info.signatures().size());
        assertTrue(Signature.parse(info.signatures().get(0).render()).keyName().equals(key.name()));
    }
}
