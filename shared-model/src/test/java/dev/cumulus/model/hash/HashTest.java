package dev.cumulus.model.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.testing.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class HashTest {
    @Test
    void knownDigestsInEveryForm() {
        Hash h = Hash.sha256("");
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", h.toBase16());
        assertEquals("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", h.toNix32());
        assertEquals("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", h.toSri());
        assertEquals("sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", h.toString());
        for (HashFormat f : HashFormat.values()) {
            assertEquals(h, Hash.parseAny(h.toString(f)));
        }
        assertEquals("d41d8cd98f00b204e9800998ecf8427e", Hash.of(HashAlgorithm.MD5, "").toBase16());
        assertEquals(32, Hash.of(HashAlgorithm.SHA1, "").toNix32().length());
        assertEquals(103, Hash.of(HashAlgorithm.SHA512, "").toNix32().length());
    }

    @Test
    void vectorsRoundTripThroughEveryForm() throws Exception {
        try (Stream<Path> files = Files.list(Shared.vectors("hash"))) {
            for (Path p : files.filter(f -> !f.getFileName().toString().startsWith("blake3")).toList()) {
                String sri = new ObjectMapper().readTree(p.toFile()).asText();
                Hash h = Hash.parseSri(sri);
                assertEquals(sri, h.toSri(), p.toString());
                for (HashFormat f : HashFormat.values()) {
                    assertEquals(h, Hash.parseAny(h.toString(f)), p + " " + f);
                }
            }
        }
    }

    @Test
    void rejectsMalformedHashes() {
        assertThrows(IllegalArgumentException.class, () -> Hash.parseAny("sha256:abc"));
        assertThrows(IllegalArgumentException.class, () -> Hash.parseAny("sha257:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"));
        assertThrows(IllegalArgumentException.class, () -> Hash.parseAny("sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e"));
        assertThrows(IllegalArgumentException.class, () -> Hash.parseAny("0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"));
        // The top bits of the first nix32 digit must fit in 32 bytes.
        assertThrows(IllegalArgumentException.class, () -> Nix32.decode("z".repeat(52), 32));
    }

    @Property
    void nix32RoundTrips(@ForAll byte[] bytes) {
        assertArrayEquals(bytes, Nix32.decode(Nix32.encode(bytes), bytes.length));
    }
}
