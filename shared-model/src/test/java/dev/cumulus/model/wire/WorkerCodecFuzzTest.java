package dev.cumulus.model.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.store.StoreDir;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Coverage-guided fuzzing of the codec (Jazzer): any bytes a client may send, at any version from
 * 1.21 to 1.38, either decode or are rejected with an IOException (WireFormatException,
 * NarFormatException). Anything else (a RuntimeException, an OutOfMemoryError from a length that
 * was not checked, a hang) is a crash. In the normal test run this replays the corpus; CI's fuzz
 * execution ({@code JAZZER_FUZZ=1}) explores for a bounded time.
 */
class WorkerCodecFuzzTest {
    static final WireLimits LIMITS = new WireLimits(1 << 16, 1 << 12);

    @FuzzTest(maxDuration = "25s")
    void clientBytesDecodeOrAreRejected(byte[] data) {
        if (data.length < 1) {
            return;
        }
        int minor = 21 + (data[0] & 0x7f) % 18;
        Set<String> features = (data[0] & 0x80) != 0 ? Set.of(WorkerCodec.FEATURE_REALISATION_WITH_PATH) : Set.of();
        WorkerCodec codec = new WorkerCodec(StoreDir.DEFAULT, ProtocolVersion.of(minor), features);
        WireReader r = new WireReader(new ByteArrayInputStream(data, 1, data.length - 1), LIMITS);
        try {
            serveRequests(codec, r);
        } catch (IOException cleanRejection) {
            // the only acceptable failure
        }
    }

    /** The handshake as the proxy runs it, then requests until the bytes end. */
    @FuzzTest(maxDuration = "20s")
    void handshakeThenRequests(byte[] data) {
        WireReader r = new WireReader(new ByteArrayInputStream(data), LIMITS);
        try {
            ServerHandshake.Negotiated n = ServerHandshake.accept(r, new WireWriter(OutputStream.nullOutputStream()),
                    ProtocolVersion.NEWEST, Set.of(WorkerCodec.FEATURE_REALISATION_WITH_PATH));
            serveRequests(new WorkerCodec(StoreDir.DEFAULT, n.version(), n.features()), r);
        } catch (IOException cleanRejection) {
            // the only acceptable failure
        }
    }

    static void serveRequests(WorkerCodec codec, WireReader r) throws IOException {
        WorkerRequestReader requests = new WorkerRequestReader(codec);
        for (OptionalLong id; (id = r.readNumOrEnd()).isPresent(); ) {
            Optional<WorkerOp> op = WorkerOp.byId(id.getAsLong());
            if (op.isEmpty() || op.get().isRemoved()) {
                return;
            }
            WorkerRequest req = requests.read(op.get(), r);
            switch (req.payload()) {
                case FRAMED -> new FramedInputStream(r, 1 << 20).drain();
                case INLINE_NAR -> NarReader.skip(r.stream());
                case NONE, PULLED -> { }
            }
            // What decodes must encode again (the proxy writes these types back to clients).
            switch (req) {
                case WorkerRequest.BuildDerivation b -> codec.writeBasicDerivation(new WireWriter(OutputStream.nullOutputStream()), b.derivation());
                case WorkerRequest.AddToStoreNar a -> codec.writePathInfo(new WireWriter(OutputStream.nullOutputStream()), a.info());
                case WorkerRequest.RegisterDrvOutput d -> codec.writeRealisation(new WireWriter(OutputStream.nullOutputStream()), d.realisation());
                case WorkerRequest.BuildPathsWithResults b -> codec.writeDerivedPaths(new WireWriter(OutputStream.nullOutputStream()), b.paths());
                default -> { }
            }
        }
    }
}
