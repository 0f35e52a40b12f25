package dev.cumulus.model.hash;

import dev.cumulus.model.io.RewritingOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The hash of content that may contain its own (scratch) hash part, as Nix computes it for a
 * content-addressed build output: every occurrence of {@code modulus} is hashed as that many zero
 * bytes, and then the position of each occurrence is hashed as {@code |<position>}. The result does
 * not depend on which scratch path the builder happened to write.
 */
public final class HashModuloSink extends OutputStream {
    private final HashSink hash;
    private final RewritingOutputStream rewriting;

    public HashModuloSink(HashAlgorithm algorithm, String modulus) {
        this.hash = new HashSink(algorithm);
        this.rewriting = new RewritingOutputStream(hash, Map.of(modulus, new byte[modulus.length()]));
    }

    @Override
    public void write(int b) throws IOException {
        rewriting.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        rewriting.write(b, off, len);
    }

    public Hash finish() {
        try {
            rewriting.finish();
            for (long position : rewriting.matches()) {
                hash.write(("|" + position).getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return hash.finish();
    }
}
