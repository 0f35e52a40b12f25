package dev.cumulus.model.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class NarRoundTripPropertyTest {
    /** Any generated tree: dump, unpack, dump again gives the same bytes, and the reader accepts them. */
    @Property(tries = 40)
    void dumpUnpackDumpIsIdentity(@ForAll long seed) throws IOException {
        Path dir = Files.createTempDirectory("nar-prop");
        try {
            Path tree = NarTrees.generate(dir.resolve("tree"), seed);
            byte[] nar = dump(tree);
            Path copy = dir.resolve("copy");
            NarUnpacker.unpack(new ByteArrayInputStream(nar), copy);
            assertArrayEquals(nar, dump(copy));
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    p.toFile().setWritable(true);
                    Files.delete(p);
                }
            }
        }
    }

    static byte[] dump(Path p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(p, out);
        return out.toByteArray();
    }
}
