package dev.cumulus.model.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.OutputsSpec;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Requests whose layout changed between 1.21 and 1.38 decode as each version sends them. */
class OldClientRequestTest {
    static final String P = "/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo";
    static final String DRV = "/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv";

    interface Body {
        void write(WireWriter w) throws IOException;
    }

    static WorkerRequest decode(int minor, WorkerOp op, Body body) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        body.write(new WireWriter(b));
        WireReader r = new WireReader(new ByteArrayInputStream(b.toByteArray()));
        WorkerRequest req = new WorkerRequestReader(new WorkerCodec(StoreDir.DEFAULT, ProtocolVersion.of(minor), Set.of())).read(op, r);
        assertEquals(-1, r.stream().read(), "bytes left over");
        return req;
    }

    @Test
    void addToStoreBefore125SendsFlagsAndAnInlineNar() throws IOException {
        var req = (WorkerRequest.AddToStore) decode(24, WorkerOp.ADD_TO_STORE,
                w -> w.writeString("foo").writeBool(true).writeNum(0).writeString("sha1"));
        assertEquals(ContentAddressMethod.FLAT, req.method());
        assertEquals(HashAlgorithm.SHA1, req.hashAlgorithm());
        assertEquals(Payload.INLINE_NAR, req.payload());
        // Not "fixed": Nix's compatibility rule makes it recursive sha256.
        var notFixed = (WorkerRequest.AddToStore) decode(24, WorkerOp.ADD_TO_STORE,
                w -> w.writeString("foo").writeBool(false).writeNum(0).writeString("md5"));
        assertEquals(ContentAddressMethod.NAR, notFixed.method());
        assertEquals(HashAlgorithm.SHA256, notFixed.hashAlgorithm());
        var modern = (WorkerRequest.AddToStore) decode(25, WorkerOp.ADD_TO_STORE,
                w -> w.writeString("foo.drv").writeString("text:sha256").writeNum(1).writeString(P).writeBool(false));
        assertEquals(ContentAddressMethod.TEXT, modern.method());
        assertEquals(Payload.FRAMED, modern.payload());
    }

    @Test
    void addToStoreNarIsPulledBefore123() throws IOException {
        Body info = w -> w.writeString(P).writeString("").writeString("0".repeat(64)).writeNum(0).writeNum(0).writeNum(8)
                .writeBool(false).writeNum(0).writeString("").writeBool(false).writeBool(true);
        assertEquals(Payload.PULLED, decode(22, WorkerOp.ADD_TO_STORE_NAR, info).payload());
        assertEquals(Payload.FRAMED, decode(23, WorkerOp.ADD_TO_STORE_NAR, info).payload());
    }

    @Test
    void queryValidPathsHasASubstituteFlagFrom127() throws IOException {
        assertEquals(false, ((WorkerRequest.QueryValidPaths) decode(26, WorkerOp.QUERY_VALID_PATHS,
                w -> w.writeNum(1).writeString(P))).substitute());
        assertEquals(true, ((WorkerRequest.QueryValidPaths) decode(27, WorkerOp.QUERY_VALID_PATHS,
                w -> w.writeNum(1).writeString(P).writeBool(true))).substitute());
    }

    @Test
    void buildPathsBefore130UsePathsWithOutputs() throws IOException {
        var req = (WorkerRequest.BuildPaths) decode(29, WorkerOp.BUILD_PATHS,
                w -> w.writeNum(2).writeString(DRV).writeString(DRV + "!out").writeNum(0));
        assertEquals(List.of(DerivedPath.built(StorePath.parseBaseName("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv"), new OutputsSpec.All()),
                DerivedPath.built(StorePath.parseBaseName("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv"), OutputsSpec.of("out"))), req.paths());
        // From 1.30 a bare .drv is the derivation file itself.
        var opaque = (WorkerRequest.BuildPaths) decode(30, WorkerOp.BUILD_PATHS, w -> w.writeNum(1).writeString(DRV).writeNum(0));
        assertEquals(DerivedPath.Opaque.class, opaque.paths().get(0).getClass());
    }

    @Test
    void registerDrvOutputBefore131IsAnIdAndAPath() throws IOException {
        String id = "sha256:15e3c560894cbb27085cf65b5a2ecb18488c999497f4531b6907a7581ce6d527!out";
        var req = (WorkerRequest.RegisterDrvOutput) decode(30, WorkerOp.REGISTER_DRV_OUTPUT,
                w -> w.writeString(id).writeString("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo"));
        assertEquals("g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo", req.realisation().outPath().baseName());
    }

    @Test
    void substitutablePathInfosTakeASetBefore122() throws IOException {
        var req = (WorkerRequest.QuerySubstitutablePathInfos) decode(21, WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS,
                w -> w.writeNum(1).writeString(P));
        assertEquals(1, req.paths().size());
        var withCa = (WorkerRequest.QuerySubstitutablePathInfos) decode(22, WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS,
                w -> w.writeNum(1).writeString(P).writeString(""));
        assertEquals(1, withCa.paths().size());
    }

    @Test
    void removedOperationsHaveNoLayout() {
        for (WorkerOp op : WorkerOp.values()) {
            if (op.isRemoved()) {
                assertThrows(WireFormatException.class, () -> decode(34, op, w -> { }));
            }
        }
    }
}
