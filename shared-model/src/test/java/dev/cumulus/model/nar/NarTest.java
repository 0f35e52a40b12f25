package dev.cumulus.model.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.testing.Shared;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NarTest {
    @TempDir
    Path tmp;

    static Stream<Path> malformedNars() throws IOException {
        return Files.list(Shared.vectors("nars"))
                .filter(p -> !p.getFileName().toString().equals("regular-one-byte-zero-padding.nar"))
                .sorted();
    }

    @ParameterizedTest
    @MethodSource("malformedNars")
    void rejectsEveryMalformedVectorWithAClearMessage(Path nar) throws IOException {
        byte[] bytes = Files.readAllBytes(nar);
        NarFormatException e = assertThrows(NarFormatException.class,
                () -> NarReader.read(new ByteArrayInputStream(bytes), new NarVisitor() {}));
        assertTrue(e.getMessage().contains("NAR"), e.getMessage());
        // Unpacking refuses it too, and whatever it wrote stays inside the target.
        Path target = tmp.resolve("out");
        assertThrows(NarFormatException.class, () -> NarUnpacker.unpack(new ByteArrayInputStream(bytes), target));
        try (Stream<Path> all = Files.walk(tmp)) {
            assertTrue(all.allMatch(p -> p.startsWith(tmp)));
        }
    }

    @Test
    void readsTheWellFormedVector() throws IOException {
        byte[] bytes = Files.readAllBytes(Shared.vectors("nars/regular-one-byte-zero-padding.nar"));
        Path out = tmp.resolve("x");
        NarUnpacker.unpack(new ByteArrayInputStream(bytes), out);
        assertArrayEquals(new byte[] {'x'}, Files.readAllBytes(out));
        assertEquals(bytes.length, NarReader.skip(new ByteArrayInputStream(bytes)));
        assertArrayEquals(bytes, dump(out));
    }

    @Test
    void stopsAtTheEndOfTheNarWithoutReadingFurther() throws IOException {
        byte[] nar = Files.readAllBytes(Shared.vectors("nars/regular-one-byte-zero-padding.nar"));
        byte[] withTrailer = Arrays.copyOf(nar, nar.length + 5);
        ByteArrayInputStream in = new ByteArrayInputStream(withTrailer);
        NarReader.skip(in);
        assertEquals(5, in.available());
    }

    @Test
    void listsATreeAsNixDoes() throws IOException {
        // The tree behind nar-listing/deep.json.
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("bar"));
        Files.writeString(root.resolve("foo"), "foo contents!!\n");
        Files.writeString(root.resolve("bar/baz"), "baz contents!!!!!!\n");
        Files.setPosixFilePermissions(root.resolve("bar/baz"), PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.createSymbolicLink(root.resolve("bar/quux"), Path.of("/over/there"));
        var expected = new ObjectMapper().readTree(Shared.vectors("nar-listing/deep.json").toFile());
        var actual = NarListing.list(new ByteArrayInputStream(dump(root)));
        assertTrue(expected.equals(NUMBERS_BY_VALUE, actual), actual.toString());
    }

    @Test
    void roundTripsATreeThroughUnpackAndDump() throws IOException {
        Path root = NarTrees.generate(tmp.resolve("tree"), 7);
        byte[] nar = dump(root);
        Path copy = tmp.resolve("copy");
        NarUnpacker.unpack(new ByteArrayInputStream(nar), copy);
        assertArrayEquals(nar, dump(copy));
        assertThrows(IOException.class, () -> NarUnpacker.unpack(new ByteArrayInputStream(nar), copy),
                "unpacking over an existing path is refused");
    }

    @Test
    void rejectsTruncationAnywhere() throws IOException {
        byte[] nar = dump(NarTrees.generate(tmp.resolve("t"), 3));
        for (int cut : List.of(0, 7, 8, 20, nar.length / 2, nar.length - 1)) {
            byte[] part = Arrays.copyOf(nar, cut);
            NarFormatException e = assertThrows(NarFormatException.class,
                    () -> NarReader.skip(new ByteArrayInputStream(part)));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void refusesAHugeLengthBeforeAllocating() {
        byte[] nar = new byte[16];
        Arrays.fill(nar, 0, 8, (byte) 0xff);
        assertThrows(NarFormatException.class, () -> NarReader.skip(new ByteArrayInputStream(nar)));
    }

    /** JSON equality that does not tell a long 19 from an int 19. */
    static final java.util.Comparator<com.fasterxml.jackson.databind.JsonNode> NUMBERS_BY_VALUE = (a, b) ->
            a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;

    static byte[] dump(Path p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(p, out);
        return out.toByteArray();
    }
}
