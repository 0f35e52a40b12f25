package dev.cumulus.model.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.testing.Shared;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Each recorded Nix 2.8 client→daemon stream decodes into the operations its key lists, payloads
 * included (framed data, NARs inside AddMultipleToStore), with no bytes left over.
 */
class CaptureDecodeTest {
    static final Pattern SECTION = Pattern.compile("^== captures/(\\S+)$");
    static final Pattern OP = Pattern.compile("^  op (\\d+) (\\w+):");

    @TestFactory
    Stream<DynamicTest> everyClientStreamDecodes() throws IOException {
        Path dir = Shared.dir().resolve("nix-2.8-captures");
        Map<String, List<String>> expected = new LinkedHashMap<>();
        String current = null;
        for (String line : Files.readAllLines(dir.resolve("DECODED_c2s.txt"))) {
            Matcher s = SECTION.matcher(line);
            Matcher o = OP.matcher(line);
            if (s.matches()) {
                current = s.group(1);
                expected.put(current, new ArrayList<>());
            } else if (o.lookingAt()) {
                expected.get(current).add(o.group(1) + " " + o.group(2));
            }
        }
        assertEquals(24, expected.size(), "sections in DECODED_c2s.txt");
        return expected.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(),
                () -> assertEquals(e.getValue(), decode(Files.readAllBytes(dir.resolve(e.getKey()))))));
    }

    /** The operations of one client stream, as "id Name". */
    static List<String> decode(byte[] c2s) throws IOException {
        WireReader r = new WireReader(new ByteArrayInputStream(c2s));
        ServerHandshake.Negotiated n = ServerHandshake.accept(r, new WireWriter(OutputStream.nullOutputStream()),
                ProtocolVersion.NEWEST, Set.of());
        assertEquals(ProtocolVersion.of(34), n.version());
        WorkerCodec codec = new WorkerCodec(StoreDir.DEFAULT, n.version(), n.features());
        WorkerRequestReader requests = new WorkerRequestReader(codec);
        List<String> ops = new ArrayList<>();
        for (OptionalLong id; (id = r.readNumOrEnd()).isPresent(); ) {
            WorkerOp op = WorkerOp.byId(id.getAsLong()).orElseThrow();
            WorkerRequest req = requests.read(op, r);
            consumePayload(req, r);
            ops.add(op.id() + " " + op.displayName().replace("Gc", "GC"));
        }
        return ops;
    }

    static void consumePayload(WorkerRequest req, WireReader r) throws IOException {
        switch (req.payload()) {
            case NONE -> { }
            case INLINE_NAR -> NarReader.skip(r.stream());
            case PULLED -> throw new AssertionError("a 1.34 client never sends pulled data");
            case FRAMED -> {
                FramedInputStream framed = new FramedInputStream(r);
                switch (req) {
                    case WorkerRequest.AddMultipleToStore m -> {
                        // A count, then each path's info (always at version 1.16) and its NAR.
                        WireReader inner = new WireReader(framed);
                        WorkerCodec at16 = new WorkerCodec(StoreDir.DEFAULT, ProtocolVersion.of(16));
                        long count = inner.readNum();
                        for (long i = 0; i < count; i++) {
                            var info = at16.readPathInfo(inner);
                            assertEquals(info.narSize(), NarReader.skip(framed));
                        }
                    }
                    case WorkerRequest.AddToStoreNar a -> assertEquals(a.info().narSize(), NarReader.skip(framed));
                    case WorkerRequest.AddToStore a when a.method() == ContentAddressMethod.NAR -> NarReader.skip(framed);
                    default -> { }
                }
                framed.drain();
                assertTrue(framed.ended());
            }
        }
    }
}
