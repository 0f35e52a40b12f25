package dev.cumulus.model.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.store.StoreDir;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Coverage-guided fuzzing of the serve protocol as the proxy reads it: the handshake, then
 * commands until the bytes end. Any input decodes or is rejected with an IOException; anything
 * else is a crash. As {@link WorkerCodecFuzzTest}, the normal run replays the corpus.
 */
class ServeCodecFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void handshakeThenCommands(byte[] data) {
        WireReader r = new WireReader(new ByteArrayInputStream(data), WorkerCodecFuzzTest.LIMITS);
        WireWriter sink = new WireWriter(OutputStream.nullOutputStream());
        try {
            ProtocolVersion v = ServeHandshake.accept(r, sink, ServeCodec.NEWEST);
            ServeCodec codec = new ServeCodec(StoreDir.DEFAULT, v);
            ServeRequestReader requests = new ServeRequestReader(codec);
            for (OptionalLong id; (id = r.readNumOrEnd()).isPresent(); ) {
                Optional<ServeCommand> command = ServeCommand.byId(id.getAsLong());
                if (command.isEmpty()) {
                    return;
                }
                ServeRequest req = requests.read(command.get(), r);
                // What decodes must encode again (the proxy writes these types back, or passes them on).
                switch (req) {
                    case ServeRequest.AddToStoreNar a -> {
                        codec.writeAddedPathInfo(sink, a.info());
                        r.stream().skipNBytes(Math.min(a.info().narSize(), data.length));
                    }
                    case ServeRequest.BuildDerivation b -> codec.writeBasicDerivation(sink, b.derivation());
                    case ServeRequest.BuildPaths b -> codec.writePathsWithOutputs(sink, b.paths());
                    case ServeRequest.ImportPaths i -> NarReader.skip(r.stream());
                    default -> { }
                }
            }
        } catch (IOException cleanRejection) {
            // the only acceptable failure
        }
    }
}
