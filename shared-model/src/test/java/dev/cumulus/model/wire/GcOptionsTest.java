package dev.cumulus.model.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** CollectGarbage's arguments before and with Nix 2.35's {@code delete-dead-specific-referrers} (Nix's GCPaths). */
class GcOptionsTest {
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final StorePath P = STORE.parse("/nix/store/g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo");
    static final WorkerCodec OLD = new WorkerCodec(STORE, ProtocolVersion.of(38), Set.of());
    static final WorkerCodec NEW = new WorkerCodec(STORE, ProtocolVersion.of(38),
            Set.of(WorkerCodec.FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS));

    static byte[] bytes(IoWrites writes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(out);
        writes.write(w);
        w.flush();
        return out.toByteArray();
    }

    interface IoWrites {
        void write(WireWriter w) throws IOException;
    }

    static GcOptions read(WorkerCodec codec, byte[] bytes) throws IOException {
        return codec.readGcOptions(new WireReader(new ByteArrayInputStream(bytes)));
    }

    @Test
    void withTheFeatureTheWholeStoreAndSpecificPathsAreTold() throws IOException {
        // Nix: action, then a byte-wide whole-store flag (a number on the wire), or the paths and the
        // delete-referrers flag; then ignoreLiveness, maxFreed and three obsolete numbers.
        byte[] whole = bytes(w -> w.writeNum(2).writeNum(1).writeBool(false).writeNum(-1).writeNum(0).writeNum(0).writeNum(0));
        GcOptions o = read(NEW, whole);
        assertTrue(o.wholeStore());
        assertEquals(GcAction.DELETE_DEAD, o.action());
        assertArrayEquals(whole, bytes(w -> NEW.writeGcOptions(w, o)));

        byte[] specific = bytes(w -> w.writeNum(3).writeNum(0).writeStrings(List.of(STORE.print(P))).writeBool(true)
                .writeBool(false).writeNum(100).writeNum(0).writeNum(0).writeNum(0));
        GcOptions s = read(NEW, specific);
        assertFalse(s.wholeStore());
        assertEquals(new TreeSet<>(List.of(P)), s.paths());
        assertTrue(s.deleteReferrers());
        assertEquals(100, s.maxFreed());
        assertArrayEquals(specific, bytes(w -> NEW.writeGcOptions(w, s)));

        byte[] bad = bytes(w -> w.writeNum(2).writeNum(2));
        assertThrows(WireFormatException.class, () -> read(NEW, bad));
    }

    @Test
    void beforeItAnEmptySetIsTheWholeStoreExceptForDeleteSpecific() throws IOException {
        byte[] empty = bytes(w -> w.writeNum(2).writeStrings(List.of()).writeBool(false).writeNum(-1).writeNum(0).writeNum(0)
                .writeNum(0));
        assertTrue(read(OLD, empty).wholeStore());
        byte[] specificNone = bytes(w -> w.writeNum(3).writeStrings(List.of()).writeBool(false).writeNum(-1).writeNum(0)
                .writeNum(0).writeNum(0));
        assertFalse(read(OLD, specificNone).wholeStore());
        byte[] named = bytes(w -> w.writeNum(3).writeStrings(List.of(STORE.print(P))).writeBool(false).writeNum(-1)
                .writeNum(0).writeNum(0).writeNum(0));
        GcOptions o = read(OLD, named);
        assertFalse(o.deleteReferrers());
        assertArrayEquals(named, bytes(w -> OLD.writeGcOptions(w, o)));
    }
}
