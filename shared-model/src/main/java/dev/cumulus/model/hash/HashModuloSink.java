package dev.cumulus.model.hash;

import dev.cumulus.model.io.RewritingOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The hash of content that may contain its own (scratch) hash part, as Nix computes it for a
 * content-addressed build output: every occurrence of {@code modulus} is hashed as that many zero
 * bytes. The result does not depend on which scratch path the builder happened to write. Nix 2.3 to
 * 2.17 then also hashed each occurrence's position as {@code |<position>}; since 2.18 its rewriting
 * sink records no positions, so none are hashed. Cumulus computes what today's Nix does (checked
 * against Nix 2.26 and 2.34): a floating output that refers to itself gets the path Nix 2.18 and
 * later give it, which Nix before 2.18 computes differently.
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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return hash.finish();
    }
}
