package dev.cumulus.model.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Replaces every occurrence of some strings by others of the same length in the bytes that pass
 * through, left to right without overlaps. Nix rewrites
 * store path hash parts this way (its RewritingSink): a build's scratch output path becomes its final
 * one, and a content-addressed output is hashed with its own hash part zeroed.
 */
public final class RewritingOutputStream extends OutputStream {
    private final OutputStream out;
    private final byte[][] from;
    private final byte[][] to;
    private final int length;
    private byte[] pending = new byte[8192];
    private int pendingLength;

    /** {@code rewrites}' keys and values must all have the same length. */
    public RewritingOutputStream(OutputStream out, Map<String, byte[]> rewrites) {
        this.out = out;
        this.from = new byte[rewrites.size()][];
        this.to = new byte[rewrites.size()][];
        int i = 0;
        int len = -1;
        for (Map.Entry<String, byte[]> e : rewrites.entrySet()) {
            from[i] = e.getKey().getBytes(StandardCharsets.ISO_8859_1);
            to[i] = e.getValue();
            if ((len >= 0 && from[i].length != len) || to[i].length != from[i].length || from[i].length == 0) {
                throw new IllegalArgumentException("rewrites must replace strings by others of one common length");
            }
            len = from[i].length;
            i++;
        }
        this.length = Math.max(len, 1);
    }

    /** Rewrites each key to the value's ISO-8859-1 bytes (hash parts are ASCII). */
    public static RewritingOutputStream of(OutputStream out, Map<String, String> rewrites) {
        Map<String, byte[]> bytes = new java.util.LinkedHashMap<>();
        rewrites.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.ISO_8859_1)));
        return new RewritingOutputStream(out, bytes);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (from.length == 0) {
            out.write(b, off, len);
            return;
        }
        if (pendingLength + len > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + len));
        }
        System.arraycopy(b, off, pending, pendingLength, len);
        pendingLength += len;
        int i = 0;
        while (i + length <= pendingLength) {
            int k = matchAt(i);
            if (k >= 0) {
                System.arraycopy(to[k], 0, pending, i, length);
                i += length;
            } else {
                i++;
            }
        }
        // Bytes before i can no longer be part of a match.
        out.write(pending, 0, i);
        System.arraycopy(pending, i, pending, 0, pendingLength - i);
        pendingLength -= i;
    }

    private int matchAt(int i) {
        for (int k = 0; k < from.length; k++) {
            if (Arrays.equals(pending, i, i + length, from[k], 0, length)) {
                return k;
            }
        }
        return -1;
    }

    /** Writes the bytes held back (a possible match's start) through without closing {@code out}. */
    public void finish() throws IOException {
        out.write(pending, 0, pendingLength);
        pendingLength = 0;
    }

    @Override
    public void close() throws IOException {
        finish();
        out.close();
    }
}
