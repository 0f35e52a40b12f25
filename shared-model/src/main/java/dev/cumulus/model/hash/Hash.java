package dev.cumulus.model.hash;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/** A digest together with its algorithm, parsed from and printed to every form Nix uses. */
public final class Hash {
    private static final HexFormat HEX = HexFormat.of();

    private final HashAlgorithm algorithm;
    private final byte[] digest;

    public Hash(HashAlgorithm algorithm, byte[] digest) {
        if (digest.length != algorithm.size()) {
            throw new IllegalArgumentException(algorithm + " digest must be " + algorithm.size() + " bytes, not " + digest.length);
        }
        this.algorithm = algorithm;
        this.digest = digest.clone();
    }

    public static Hash of(HashAlgorithm algorithm, byte[] data) {
        return new Hash(algorithm, algorithm.newDigest().digest(data));
    }

    public static Hash of(HashAlgorithm algorithm, String text) {
        return of(algorithm, text.getBytes(StandardCharsets.UTF_8));
    }

    public static Hash sha256(String text) {
        return of(HashAlgorithm.SHA256, text);
    }

    public static Hash of(HashAlgorithm algorithm, InputStream in) throws IOException {
        MessageDigest md = algorithm.newDigest();
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return new Hash(algorithm, md.digest());
    }

    /**
     * Parses {@code algo:digest} (digest in base16, nix32 or base64, told apart by length) or SRI
     * {@code algo-base64}.
     */
    public static Hash parseAny(String text) {
        int colon = text.indexOf(':');
        if (colon >= 0) {
            return parseDigest(HashAlgorithm.parse(text.substring(0, colon)), text.substring(colon + 1));
        }
        int dash = text.indexOf('-');
        if (dash >= 0) {
            return parseSri(text);
        }
        throw new IllegalArgumentException("hash '" + text + "' names no algorithm (expected 'sha256:…' or 'sha256-…')");
    }

    public static Hash parseSri(String text) {
        int dash = text.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not an SRI hash (expected 'sha256-<base64>')");
        }
        HashAlgorithm algorithm = HashAlgorithm.parse(text.substring(0, dash));
        String b64 = text.substring(dash + 1);
        if (b64.length() != algorithm.base64Length()) {
            throw new IllegalArgumentException("SRI hash '" + text + "' has the wrong length for " + algorithm);
        }
        return new Hash(algorithm, decodeBase64(b64, text));
    }

    /** Parses a bare digest of a known algorithm, in base16, nix32 or base64. */
    public static Hash parseDigest(HashAlgorithm algorithm, String digest) {
        int len = digest.length();
        if (len == algorithm.base16Length()) {
            try {
                return new Hash(algorithm, HEX.parseHex(digest.toLowerCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid base16 in " + algorithm + " hash '" + digest + "'");
            }
        }
        if (len == algorithm.nix32Length()) {
            return new Hash(algorithm, Nix32.decode(digest, algorithm.size()));
        }
        if (len == algorithm.base64Length()) {
            return new Hash(algorithm, decodeBase64(digest, digest));
        }
        throw new IllegalArgumentException("hash '" + digest + "' has the wrong length for " + algorithm);
    }

    private static byte[] decodeBase64(String b64, String whole) {
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid base64 in hash '" + whole + "'");
        }
    }

    public HashAlgorithm algorithm() {
        return algorithm;
    }

    public byte[] digest() {
        return digest.clone();
    }

    /** The digest alone, in {@code format} (SRI includes the algorithm by definition). */
    public String encode(HashFormat format) {
        return switch (format) {
            case BASE16 -> HEX.formatHex(digest);
            case NIX32 -> Nix32.encode(digest);
            case BASE64 -> Base64.getEncoder().encodeToString(digest);
            case SRI -> toSri();
        };
    }

    /** {@code algo:digest} with the digest in {@code format}; SRI is printed as itself. */
    public String toString(HashFormat format) {
        return format == HashFormat.SRI ? toSri() : algorithm.nixName() + ":" + encode(format);
    }

    public String toBase16() {
        return HEX.formatHex(digest);
    }

    public String toNix32() {
        return Nix32.encode(digest);
    }

    public String toSri() {
        return algorithm.nixName() + "-" + Base64.getEncoder().encodeToString(digest);
    }

    /** Xor-folds the digest into {@code size} bytes, as Nix does for store path hashes. */
    public byte[] compress(int size) {
        byte[] out = new byte[size];
        for (int i = 0; i < digest.length; i++) {
            out[i % size] ^= digest[i];
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hash h && h.algorithm == algorithm && MessageDigest.isEqual(h.digest, digest);
    }

    @Override
    public int hashCode() {
        return algorithm.hashCode() * 31 + Arrays.hashCode(digest);
    }

    /** {@code sha256:<nix32>}, the form Nix prints most. */
    @Override
    public String toString() {
        return toString(HashFormat.NIX32);
    }
}
