package dev.cumulus.model.wire;

import static dev.cumulus.model.wire.WorkerProtocolVectorTest.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.testing.Shared;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code .bin} under Nix's serve-protocol vectors decodes to the value its {@code .json}
 * (or, for build options, Nix's test) describes and, where Nix itself writes it back, encodes
 * back byte for byte; the handshake is the bytes Nix's server sends.
 */
class ServeProtocolVectorTest {
    static ServeCodec at(int minor) {
        return new ServeCodec(STORE, new ProtocolVersion(2, minor));
    }

    /** What Nix's tests use where the version does not matter: the oldest a client accepts. */
    static final ServeCodec DEFAULT = at(5);

    static final String DIR = "serve-protocol/";

    @TestFactory
    Stream<DynamicTest> everyVectorDecodesToItsJsonAndEncodesBack() {
        List<Vector<?, ?>> vectors = new ArrayList<>(commonVectors("serve-protocol", DEFAULT));
        vectors.add(new Vector<>(DIR + "drv-output-2.8", at(8), DRV_OUTPUT));
        vectors.add(new Vector<>(DIR + "realisation-2.8", at(8), SERVE_REALISATION));
        vectors.add(new Vector<>(DIR + "unkeyed-realisation-2.8", at(8), UNKEYED_REALISATION));
        for (int minor : List.of(2, 3, 8)) {
            vectors.add(new Vector<>(DIR + "build-result-2." + minor, at(minor), SERVE_BUILD_RESULT));
        }
        vectors.add(new Vector<>(DIR + "unkeyed-valid-path-info-2.3", at(3), SERVE_PATH_INFO));
        vectors.add(new Vector<>(DIR + "unkeyed-valid-path-info-2.4", at(4), SERVE_PATH_INFO));
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.file(), () -> check(v)));
    }

    /**
     * Build results Nix now writes differently from what it read at 2.6 and 2.7 (realisations
     * reduced to the out path, with a zero hash in the id): they decode to the same statuses, times
     * and out paths. Cumulus writes them as Nix 2.8 to 2.34 did, with the realisation's real id.
     */
    @Test
    void olderBuildResultsDecode() throws IOException {
        for (String name : List.of("build-result-2.6", "build-result-2.7-compat")) {
            ServeCodec codec = at(name.contains("2.6") ? 6 : 7);
            byte[] bin = Files.readAllBytes(Shared.vectors(DIR + name + ".bin"));
            JsonNode json = JSON.readTree(Shared.vectors(DIR + name + ".json").toFile());
            WireReader r = new WireReader(new ByteArrayInputStream(bin));
            for (JsonNode j : json) {
                BuildResult got = codec.readBuildResult(r);
                BuildResult want = BUILD_RESULT.fromJson(j);
                assertEquals(want.status(), got.status());
                assertEquals(want.errorMsg(), got.errorMsg());
                assertEquals(want.timesBuilt(), got.timesBuilt());
                assertEquals(want.startTime(), got.startTime());
                assertEquals(want.stopTime(), got.stopTime());
                assertEquals(want.builtOutputs().keySet(), got.builtOutputs().keySet());
                for (String output : want.builtOutputs().keySet()) {
                    assertEquals(want.builtOutputs().get(output).outPath(), got.builtOutputs().get(output).outPath());
                }
            }
            assertEquals(-1, r.stream().read(), name);
        }
    }

    /** {@code realisation.bin}: JSON realisations, the second with signatures as a newer Nix writes them (objects). */
    @Test
    void realisationsDecode() throws IOException {
        byte[] bin = Files.readAllBytes(Shared.vectors(DIR + "realisation.bin"));
        JsonNode json = JSON.readTree(Shared.vectors(DIR + "realisation.json").toFile());
        WireReader r = new WireReader(new ByteArrayInputStream(bin));
        for (JsonNode j : json) {
            assertEquals(Realisation.fromJson(j), DEFAULT.readRealisation(r));
        }
        assertEquals(-1, r.stream().read());
    }

    /** Build options have no JSON: the values are those of Nix's {@code serve-protocol.cc}. */
    @Test
    void buildOptions() throws IOException {
        checkOptions(1, new ServeBuildOptions(5, 6, 0, 0, false, false));
        checkOptions(2, new ServeBuildOptions(5, 6, 7, 0, false, false));
        checkOptions(3, new ServeBuildOptions(5, 6, 7, 8, true, false));
        checkOptions(7, new ServeBuildOptions(5, 6, 7, 8, false, true));
    }

    static void checkOptions(int minor, ServeBuildOptions want) throws IOException {
        byte[] bin = Files.readAllBytes(Shared.vectors(DIR + "build-options-2." + minor + ".bin"));
        WireReader r = new WireReader(new ByteArrayInputStream(bin));
        assertEquals(want, at(minor).readBuildOptions(r));
        assertEquals(-1, r.stream().read());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        at(minor).writeBuildOptions(new WireWriter(out), want);
        assertArrayEquals(bin, out.toByteArray());
    }

    /** Our server's greeting to a 2.5 client offering 2.5 is Nix's, byte for byte. */
    @Test
    void handshakeToClient() throws IOException {
        byte[] want = Files.readAllBytes(Shared.vectors(DIR + "handshake-to-client.bin"));
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        new WireWriter(client).writeNum(ServeHandshake.SERVE_MAGIC_1).writeNum(0x205);
        ByteArrayOutputStream toClient = new ByteArrayOutputStream();
        ProtocolVersion v = ServeHandshake.accept(new WireReader(new ByteArrayInputStream(client.toByteArray())),
                new WireWriter(toClient), new ProtocolVersion(2, 5));
        assertEquals(new ProtocolVersion(2, 5), v);
        assertArrayEquals(want, toClient.toByteArray());
    }

    // --- the serve protocol's own types ----------------------------------------------------------

    static final DrvOutput NO_ID = new DrvOutput.ByHash(new Hash(HashAlgorithm.SHA256, new byte[32]), "out");

    static final Type<CommonCodec, Realisation> SERVE_REALISATION = new Type<>() {
        public Realisation read(CommonCodec c, WireReader r) throws IOException { return c.readRealisation(r); }
        public void write(CommonCodec c, WireWriter w, Realisation v) throws IOException { c.writeRealisation(w, v); }
        public Realisation fromJson(JsonNode j) {
            JsonNode key = j.get("key");
            DrvOutput id = new DrvOutput.ByPath(StorePath.parseBaseName(key.get("drvPath").asText()), key.get("outputName").asText());
            return new Realisation(id, StorePath.parseBaseName(j.get("value").get("outPath").asText()),
                    signatures(j.get("value").get("signatures")), new TreeMap<>());
        }
    };

    static final Type<CommonCodec, Realisation> UNKEYED_REALISATION = new Type<>() {
        public Realisation read(CommonCodec c, WireReader r) throws IOException { return c.readUnkeyedRealisation(r, NO_ID); }
        public void write(CommonCodec c, WireWriter w, Realisation v) throws IOException { c.writeUnkeyedRealisation(w, v); }
        public Realisation fromJson(JsonNode j) {
            return new Realisation(NO_ID, StorePath.parseBaseName(j.get("outPath").asText()), signatures(j.get("signatures")),
                    new TreeMap<>());
        }
    };

    static final Type<ServeCodec, BuildResult> SERVE_BUILD_RESULT = new Type<>() {
        public BuildResult read(ServeCodec c, WireReader r) throws IOException { return c.readBuildResult(r); }
        public void write(ServeCodec c, WireWriter w, BuildResult v) throws IOException { c.writeBuildResult(w, v); }
        public BuildResult fromJson(JsonNode j) { return BUILD_RESULT.fromJson(j); }
    };

    static final Type<ServeCodec, PathInfo> SERVE_PATH_INFO = new Type<>() {
        public PathInfo read(ServeCodec c, WireReader r) throws IOException { return c.readUnkeyedPathInfo(r, UNKEYED); }
        public void write(ServeCodec c, WireWriter w, PathInfo v) throws IOException { c.writeUnkeyedPathInfo(w, v); }
        public PathInfo fromJson(JsonNode j) { return pathInfo(UNKEYED, j); }
    };
}
