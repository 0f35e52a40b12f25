package dev.cumulus.model.nar;

import java.nio.charset.StandardCharsets;

/** The NAR format's constants. A NAR is a sequence of length-prefixed, zero-padded strings. */
final class Nar {
    static final String MAGIC = "nix-archive-1";
    /** Longest name or symlink target accepted; Linux allows 255-byte names and 4095-byte targets. */
    static final int MAX_NAME = 4096;
    static final int MAX_TOKEN = 64;

    private Nar() {}

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static int padding(long length) {
        return (int) ((8 - (length % 8)) % 8);
    }

    /** Nix orders directory entries by the bytes of their names. */
    static int compareNames(byte[] a, byte[] b) {
        return java.util.Arrays.compareUnsigned(a, b);
    }
}
