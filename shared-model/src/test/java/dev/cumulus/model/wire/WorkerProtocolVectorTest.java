package dev.cumulus.model.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.OutputsSpec;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.testing.Shared;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code .bin} under Nix's worker-protocol and common-protocol vectors decodes to the value
 * its {@code .json} describes and encodes back byte for byte.
 */
class WorkerProtocolVectorTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final String WITH_PATH = WorkerCodec.FEATURE_REALISATION_WITH_PATH;

    /** How to read, write and describe in JSON one wire type. */
    interface Type<C extends CommonCodec, T> {
        T read(C c, WireReader r) throws IOException;

        void write(C c, WireWriter w, T value) throws IOException;

        T fromJson(JsonNode j);
    }

    record Vector<C extends CommonCodec, T>(String file, C codec, Type<? super C, T> type) {}

    static WorkerCodec at(int minor, String... features) {
        return new WorkerCodec(STORE, ProtocolVersion.of(minor), Set.of(features));
    }

    static final WorkerCodec LATEST = at(38);

    @TestFactory
    Stream<DynamicTest> everyVectorDecodesToItsJsonAndEncodesBack() {
        List<Vector<?, ?>> vectors = new ArrayList<>();
        vectors.addAll(commonVectors("worker-protocol", LATEST));
        vectors.addAll(commonVectors("common-protocol", new CommonCodec(STORE)));
        String w = "worker-protocol/";
        vectors.add(new Vector<>(w + "build-mode", LATEST, BUILD_MODE));
        vectors.add(new Vector<>(w + "optional-trusted-flag", LATEST, TRUSTED_FLAG));
        for (int minor : List.of(27, 28, 29, 37)) {
            vectors.add(new Vector<>(w + "build-result-1." + minor, at(minor), BUILD_RESULT));
        }
        vectors.add(new Vector<>(w + "build-result-realisation-with-path-not-hash", at(38, WITH_PATH), BUILD_RESULT));
        vectors.add(new Vector<>(w + "keyed-build-result-1.29", at(29), KEYED_BUILD_RESULT));
        vectors.add(new Vector<>(w + "derived-path-1.29", at(29), DERIVED_PATH));
        vectors.add(new Vector<>(w + "derived-path-1.30", at(30), DERIVED_PATH));
        vectors.add(new Vector<>(w + "drv-output-realisation-with-path-not-hash", at(38, WITH_PATH), DRV_OUTPUT));
        vectors.add(new Vector<>(w + "valid-path-info-1.15", at(15), PATH_INFO));
        vectors.add(new Vector<>(w + "valid-path-info-1.16", at(16), PATH_INFO));
        vectors.add(new Vector<>(w + "unkeyed-valid-path-info-1.15", at(15), UNKEYED_PATH_INFO));
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.file(), () -> check(v)));
    }

    /** The types of the common protocol, as {@code dir} pins them for {@code codec}. */
    static List<Vector<?, ?>> commonVectors(String dir, CommonCodec codec) {
        return List.of(
                new Vector<>(dir + "/string", codec, STRING),
                new Vector<>(dir + "/store-path", codec, STORE_PATH),
                new Vector<>(dir + "/optional-store-path", codec, OPTIONAL_STORE_PATH),
                new Vector<>(dir + "/content-address", codec, CONTENT_ADDRESS),
                new Vector<>(dir + "/optional-content-address", codec, OPTIONAL_CONTENT_ADDRESS),
                new Vector<>(dir + "/drv-output", codec, DRV_OUTPUT),
                new Vector<>(dir + "/realisation-with-deps", codec, REALISATION));
    }

    static <C extends CommonCodec, T> void check(Vector<C, T> v) throws IOException {
        byte[] bin = Files.readAllBytes(Shared.vectors(v.file() + ".bin"));
        JsonNode json = JSON.readTree(Shared.vectors(v.file() + ".json").toFile());
        List<T> expected = new ArrayList<>();
        for (JsonNode j : json.isArray() ? json : JSON.createArrayNode().add(json)) {
            expected.add(v.type().fromJson(j));
        }
        WireReader r = new WireReader(new ByteArrayInputStream(bin));
        List<T> decoded = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            decoded.add(v.type().read(v.codec(), r));
        }
        assertEquals(-1, r.stream().read(), "bytes left over after " + expected.size() + " values");
        assertEquals(expected, decoded);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireWriter ww = new WireWriter(out);
        for (T value : decoded) {
            v.type().write(v.codec(), ww, value);
        }
        assertArrayEquals(bin, out.toByteArray(), "re-encoding " + v.file());
    }

    /**
     * Two vectors come from newer Nix writers that a Nix 2.8 client's reader tolerates but that
     * differ from what Nix 2.8 itself writes (and so from what we write): realisation signatures as
     * objects, and the reduced build-result JSON with a zero hash. They must decode; on encoding we
     * keep Nix 2.8's form, which the same newer readers accept.
     */
    @Test
    void newerWritersFormsDecode() throws IOException {
        JsonNode sigObjects = JSON.readTree(Shared.vectors("worker-protocol/realisation.json").toFile()).get(1);
        byte[] bin = Files.readAllBytes(Shared.vectors("worker-protocol/realisation.bin"));
        WireReader r = new WireReader(new ByteArrayInputStream(bin));
        Realisation plain = LATEST.readRealisation(r);
        Realisation withSigs = LATEST.readRealisation(r);
        assertEquals(Realisation.fromJson(sigObjects), withSigs);
        assertEquals(-1, r.stream().read());
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        LATEST.writeRealisation(new WireWriter(first), plain);
        assertArrayEquals(java.util.Arrays.copyOf(bin, first.size()), first.toByteArray());

        byte[] compat = Files.readAllBytes(Shared.vectors("worker-protocol/build-result-1.29-compat.bin"));
        JsonNode json = JSON.readTree(Shared.vectors("worker-protocol/build-result-1.29-compat.json").toFile());
        WireReader cr = new WireReader(new ByteArrayInputStream(compat));
        for (JsonNode j : json) {
            BuildResult res = at(29).readBuildResult(cr);
            BuildResult want = BUILD_RESULT.fromJson(j);
            assertEquals(want.status(), res.status());
            assertEquals(want.timesBuilt(), res.timesBuilt());
            assertEquals(want.builtOutputs().keySet(), res.builtOutputs().keySet());
            for (String name : want.builtOutputs().keySet()) {
                assertEquals(want.builtOutputs().get(name).outPath(), res.builtOutputs().get(name).outPath());
            }
        }
        assertEquals(-1, cr.stream().read());
    }

    @Test
    void handshakeVectors() throws IOException {
        byte[] toClient = Files.readAllBytes(Shared.vectors("worker-protocol/handshake-to-client.bin"));
        WireReader r = new WireReader(new ByteArrayInputStream(toClient));
        assertEquals(Stderr.WORKER_MAGIC_2, r.readNum());
        assertEquals(ProtocolVersion.of(10), ProtocolVersion.fromWire(r.readNum()));
        assertEquals(-1, r.stream().read());

        checkHandshakeInfo(30, List.of());
        checkHandshakeInfo(33, List.of(new HandshakeInfo(Optional.of("foo"), Optional.empty()),
                new HandshakeInfo(Optional.of("bar"), Optional.empty())));
        checkHandshakeInfo(35, List.of(new HandshakeInfo(Optional.of("foo"), Optional.of(false)),
                new HandshakeInfo(Optional.of("bar"), Optional.of(true))));
    }

    static void checkHandshakeInfo(int minor, List<HandshakeInfo> expected) throws IOException {
        byte[] bin = Files.readAllBytes(Shared.vectors("worker-protocol/client-handshake-info_1_" + minor + ".bin"));
        WireReader r = new WireReader(new ByteArrayInputStream(bin));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (HandshakeInfo want : expected) {
            HandshakeInfo got = at(minor).readHandshakeInfo(r);
            assertEquals(want, got);
            at(minor).writeHandshakeInfo(new WireWriter(out), got);
        }
        assertEquals(-1, r.stream().read());
        assertArrayEquals(bin, out.toByteArray());
    }

    /** {@code set.bin} and {@code vector.bin}: three string collections, then a collection of them. */
    @Test
    void nestedCollections() throws IOException {
        for (String dir : List.of("worker-protocol", "common-protocol", "serve-protocol")) {
            for (String name : List.of("set", "vector")) {
                Path base = Shared.vectors(dir + "/" + name);
                byte[] bin = Files.readAllBytes(Path.of(base + ".bin"));
                JsonNode json = JSON.readTree(Path.of(base + ".json").toFile());
                WireReader r = new WireReader(new ByteArrayInputStream(bin));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                WireWriter w = new WireWriter(out);
                for (int i = 0; i < 3; i++) {
                    List<String> got = r.readStrings();
                    assertEquals(strings(json.get(i)), got);
                    w.writeStrings(got);
                }
                int n = r.readCount("outer");
                assertEquals(json.get(3).size(), n);
                w.writeNum(n);
                for (int i = 0; i < n; i++) {
                    List<String> got = r.readStrings();
                    assertEquals(strings(json.get(3).get(i)), got);
                    w.writeStrings(got);
                }
                assertEquals(-1, r.stream().read());
                assertArrayEquals(bin, out.toByteArray(), base.toString());
            }
        }
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(s -> out.add(s.asText()));
        return out;
    }

    // --- the types -------------------------------------------------------------------------------

    static final Type<CommonCodec, String> STRING = new Type<>() {
        public String read(CommonCodec c, WireReader r) throws IOException { return r.readString(); }
        public void write(CommonCodec c, WireWriter w, String v) throws IOException { w.writeString(v); }
        public String fromJson(JsonNode j) { return j.asText(); }
    };

    static final Type<CommonCodec, StorePath> STORE_PATH = new Type<>() {
        public StorePath read(CommonCodec c, WireReader r) throws IOException { return c.readStorePath(r); }
        public void write(CommonCodec c, WireWriter w, StorePath v) throws IOException { c.writeStorePath(w, v); }
        public StorePath fromJson(JsonNode j) { return StorePath.parseBaseName(j.asText()); }
    };

    static final Type<CommonCodec, Optional<StorePath>> OPTIONAL_STORE_PATH = new Type<>() {
        public Optional<StorePath> read(CommonCodec c, WireReader r) throws IOException { return c.readOptionalStorePath(r); }
        public void write(CommonCodec c, WireWriter w, Optional<StorePath> v) throws IOException { c.writeOptionalStorePath(w, v); }
        public Optional<StorePath> fromJson(JsonNode j) {
            return j.isNull() ? Optional.empty() : Optional.of(StorePath.parseBaseName(j.asText()));
        }
    };

    static ContentAddress ca(JsonNode j) {
        ContentAddressMethod m = switch (j.get("method").asText()) {
            case "text" -> ContentAddressMethod.TEXT;
            case "flat" -> ContentAddressMethod.FLAT;
            case "nar" -> ContentAddressMethod.NAR;
            default -> throw new IllegalArgumentException(j.toString());
        };
        return new ContentAddress(m, Hash.parseSri(j.get("hash").asText()));
    }

    static final Type<CommonCodec, ContentAddress> CONTENT_ADDRESS = new Type<>() {
        public ContentAddress read(CommonCodec c, WireReader r) throws IOException { return c.readContentAddress(r); }
        public void write(CommonCodec c, WireWriter w, ContentAddress v) throws IOException { c.writeContentAddress(w, v); }
        public ContentAddress fromJson(JsonNode j) { return ca(j); }
    };

    static final Type<CommonCodec, Optional<ContentAddress>> OPTIONAL_CONTENT_ADDRESS = new Type<>() {
        public Optional<ContentAddress> read(CommonCodec c, WireReader r) throws IOException { return c.readOptionalContentAddress(r); }
        public void write(CommonCodec c, WireWriter w, Optional<ContentAddress> v) throws IOException {
            c.writeOptionalContentAddress(w, v);
        }
        public Optional<ContentAddress> fromJson(JsonNode j) { return j.isNull() ? Optional.empty() : Optional.of(ca(j)); }
    };

    static final Type<CommonCodec, DrvOutput> DRV_OUTPUT = new Type<>() {
        public DrvOutput read(CommonCodec c, WireReader r) throws IOException { return c.readDrvOutput(r); }
        public void write(CommonCodec c, WireWriter w, DrvOutput v) throws IOException { c.writeDrvOutput(w, v); }
        public DrvOutput fromJson(JsonNode j) {
            return j.isTextual() ? DrvOutput.ByHash.parse(j.asText())
                    : new DrvOutput.ByPath(StorePath.parseBaseName(j.get("drvPath").asText()), j.get("outputName").asText());
        }
    };

    /** Realisations whose JSON uses signature objects are checked in {@link #newerWritersFormsDecode}. */
    static final Type<CommonCodec, Realisation> REALISATION = new Type<>() {
        public Realisation read(CommonCodec c, WireReader r) throws IOException { return c.readRealisation(r); }
        public void write(CommonCodec c, WireWriter w, Realisation v) throws IOException { c.writeRealisation(w, v); }
        public Realisation fromJson(JsonNode j) { return Realisation.fromJson(j); }
    };

    static final Type<WorkerCodec, BuildMode> BUILD_MODE = new Type<>() {
        public BuildMode read(WorkerCodec c, WireReader r) throws IOException { return c.readBuildMode(r); }
        public void write(WorkerCodec c, WireWriter w, BuildMode v) throws IOException { c.writeBuildMode(w, v); }
        public BuildMode fromJson(JsonNode j) { return BuildMode.values()[j.asInt()]; }
    };

    static final Type<WorkerCodec, Optional<Boolean>> TRUSTED_FLAG = new Type<>() {
        public Optional<Boolean> read(WorkerCodec c, WireReader r) throws IOException { return c.readTrustedFlag(r); }
        public void write(WorkerCodec c, WireWriter w, Optional<Boolean> v) throws IOException { c.writeTrustedFlag(w, v); }
        public Optional<Boolean> fromJson(JsonNode j) { return j.isNull() ? Optional.empty() : Optional.of(j.asBoolean()); }
    };

    static final Type<WorkerCodec, BuildResult> BUILD_RESULT = new Type<>() {
        public BuildResult read(WorkerCodec c, WireReader r) throws IOException { return c.readBuildResult(r); }
        public void write(WorkerCodec c, WireWriter w, BuildResult v) throws IOException { c.writeBuildResult(w, v); }
        public BuildResult fromJson(JsonNode j) {
            TreeMap<String, Realisation> outputs = new TreeMap<>();
            JsonNode built = j.get("builtOutputs");
            if (built != null) {
                built.properties().forEach(e -> {
                    JsonNode o = e.getValue();
                    outputs.put(e.getKey(), o.has("id") ? Realisation.fromJson(o)
                            : new Realisation(new DrvOutput.ByHash(new Hash(dev.cumulus.model.hash.HashAlgorithm.SHA256, new byte[32]),
                                    e.getKey()), StorePath.parseBaseName(o.get("outPath").asText()), List.of(), new TreeMap<>()));
                });
            }
            return new BuildResult(BuildStatus.fromJsonName(j.get("status").asText()),
                    j.has("errorMsg") ? j.get("errorMsg").asText() : "", j.get("timesBuilt").asLong(),
                    j.has("isNonDeterministic") && j.get("isNonDeterministic").asBoolean(), j.get("startTime").asLong(),
                    j.get("stopTime").asLong(), j.has("cpuUser") ? Optional.of(j.get("cpuUser").asLong()) : Optional.empty(),
                    j.has("cpuSystem") ? Optional.of(j.get("cpuSystem").asLong()) : Optional.empty(), outputs);
        }
    };

    static DerivedPath derivedPath(JsonNode j) {
        if (j.isTextual()) {
            return new DerivedPath.Opaque(StorePath.parseBaseName(j.asText()));
        }
        List<String> outs = strings(j.get("outputs"));
        OutputsSpec spec = outs.equals(List.of("*")) ? new OutputsSpec.All() : new OutputsSpec.Names(new TreeSet<>(outs));
        return DerivedPath.built(StorePath.parseBaseName(j.get("drvPath").asText()), spec);
    }

    static final Type<WorkerCodec, DerivedPath> DERIVED_PATH = new Type<>() {
        public DerivedPath read(WorkerCodec c, WireReader r) throws IOException { return c.readDerivedPath(r); }
        public void write(WorkerCodec c, WireWriter w, DerivedPath v) throws IOException { c.writeDerivedPath(w, v); }
        public DerivedPath fromJson(JsonNode j) { return derivedPath(j); }
    };

    static final Type<WorkerCodec, KeyedBuildResult> KEYED_BUILD_RESULT = new Type<>() {
        public KeyedBuildResult read(WorkerCodec c, WireReader r) throws IOException { return c.readKeyedBuildResult(r); }
        public void write(WorkerCodec c, WireWriter w, KeyedBuildResult v) throws IOException { c.writeKeyedBuildResult(w, v); }
        public KeyedBuildResult fromJson(JsonNode j) { return new KeyedBuildResult(derivedPath(j.get("path")), BUILD_RESULT.fromJson(j)); }
    };

    static PathInfo pathInfo(StorePath path, JsonNode j) {
        List<Signature> sigs = signatures(j.get("signatures"));
        TreeSet<StorePath> refs = new TreeSet<>();
        j.get("references").forEach(s -> refs.add(StorePath.parseBaseName(s.asText())));
        long registrationTime = j.get("registrationTime").isNull() ? 0 : j.get("registrationTime").asLong();
        return new PathInfo(path, j.get("deriver").isNull() ? Optional.empty() : Optional.of(StorePath.parseBaseName(j.get("deriver").asText())),
                Hash.parseSri(j.get("narHash").asText()), j.get("narSize").asLong(), refs, registrationTime,
                j.get("ultimate").asBoolean(), sigs, j.get("ca").isNull() ? Optional.empty() : Optional.of(ca(j.get("ca"))));
    }

    static final Type<WorkerCodec, PathInfo> PATH_INFO = new Type<>() {
        public PathInfo read(WorkerCodec c, WireReader r) throws IOException { return c.readPathInfo(r); }
        public void write(WorkerCodec c, WireWriter w, PathInfo v) throws IOException { c.writePathInfo(w, v); }
        public PathInfo fromJson(JsonNode j) { return pathInfo(StorePath.parseBaseName(j.get("path").asText()), j); }
    };

    static List<Signature> signatures(JsonNode array) {
        List<Signature> sigs = new ArrayList<>();
        array.forEach(s -> sigs.add(s.isTextual() ? Signature.parse(s.asText())
                : Signature.parse(s.get("keyName").asText() + ":" + s.get("sig").asText())));
        return sigs;
    }

    /** Unkeyed infos have no path on the wire; the test gives them a fixed one on both sides. */
    static final StorePath UNKEYED = StorePath.parseBaseName("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-unkeyed");

    static final Type<WorkerCodec, PathInfo> UNKEYED_PATH_INFO = new Type<>() {
        public PathInfo read(WorkerCodec c, WireReader r) throws IOException { return c.readUnkeyedPathInfo(r, UNKEYED); }
        public void write(WorkerCodec c, WireWriter w, PathInfo v) throws IOException { c.writeUnkeyedPathInfo(w, v); }
        public PathInfo fromJson(JsonNode j) { return pathInfo(UNKEYED, j); }
    };
}
