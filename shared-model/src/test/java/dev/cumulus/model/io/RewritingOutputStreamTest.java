package dev.cumulus.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashModuloSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewritingOutputStreamTest {
    static final String SCRATCH = "0a2zbpdd9c8y6ybr1dzr7m6ai8vhzaal";
    static final String FINAL = "1b3zbpdd9c8y6ybr1dzr7m6ai8vhzaam";

    @Test
    void rewritesEveryOccurrenceWhereverTheWritesSplitIt() throws IOException {
        String text = "/nix/store/" + SCRATCH + "-out and " + SCRATCH + SCRATCH + " end " + SCRATCH.substring(0, 20);
        String expected = "/nix/store/" + FINAL + "-out and " + FINAL + FINAL + " end " + SCRATCH.substring(0, 20);
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        for (int chunk : new int[] {1, 3, 31, 32, 33, bytes.length}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RewritingOutputStream rewriting = RewritingOutputStream.of(out, Map.of(SCRATCH, FINAL));
            for (int i = 0; i < bytes.length; i += chunk) {
                rewriting.write(bytes, i, Math.min(chunk, bytes.length - i));
            }
            rewriting.close();
            assertEquals(expected, out.toString(StandardCharsets.US_ASCII), "chunks of " + chunk);
        }
    }

    @Test
    void refusesReplacementsOfAnotherLength() {
        assertThrows(IllegalArgumentException.class,
                () -> RewritingOutputStream.of(new ByteArrayOutputStream(), Map.of(SCRATCH, "short")));
    }

    @Test
    void theHashModuloASelfReferenceDoesNotDependOnTheScratchPath() throws IOException {
        String body = "self: /nix/store/%s-out, again %s.";
        Hash one = moduloHash(body.formatted(SCRATCH, SCRATCH), SCRATCH);
        Hash other = moduloHash(body.formatted(FINAL, FINAL), FINAL);
        assertEquals(one, other);
        // Nix's definition since 2.18: the occurrences hashed as zeros (2.17 and before also hashed
        // "|<position>" for each; the end-to-end suite checks the result against Nix 2.26 and 2.34).
        String zeros = "\0".repeat(32);
        String expected = body.formatted(zeros, zeros);
        assertEquals(Hash.of(HashAlgorithm.SHA256, expected.getBytes(StandardCharsets.ISO_8859_1)), one);
    }

    private static Hash moduloHash(String content, String modulus) throws IOException {
        HashModuloSink sink = new HashModuloSink(HashAlgorithm.SHA256, modulus);
        sink.write(content.getBytes(StandardCharsets.US_ASCII));
        return sink.finish();
    }
}
