package dev.cumulus.model.wire;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the primitives every Nix protocol is made of: little-endian 64-bit numbers, and byte
 * strings as a length then the bytes padded with zeros to a multiple of 8. Lengths and counts are
 * checked against {@link WireLimits} before allocating.
 */
public final class WireReader {
    private final InputStream in;
    private final WireLimits limits;
    private final byte[] word = new byte[8];

    public WireReader(InputStream in, WireLimits limits) {
        this.in = in;
        this.limits = limits;
    }

    public WireReader(InputStream in) {
        this(in, WireLimits.DEFAULT);
    }

    public InputStream stream() {
        return in;
    }

    public WireLimits limits() {
        return limits;
    }

    /** A 64-bit number, which the protocol treats as unsigned; values above 2^63-1 come back negative. */
    public long readNum() throws IOException {
        readFully(word, 0, 8, "a number");
        return littleEndian(word);
    }

    /**
     * The next number, or empty if the stream ends cleanly before its first byte: how a server
     * tells a client that hung up between operations from one that sent half a frame.
     */
    public java.util.OptionalLong readNumOrEnd() throws IOException {
        int first = in.read();
        if (first < 0) {
            return java.util.OptionalLong.empty();
        }
        word[0] = (byte) first;
        readFully(word, 1, 7, "a number");
        return java.util.OptionalLong.of(littleEndian(word));
    }

    /** A number that must lie in {@code [0, max]}. */
    public long readNum(long max, String what) throws IOException {
        long n = readNum();
        if (n < 0 || n > max) {
            throw new WireFormatException(what + " " + Long.toUnsignedString(n) + " is out of range (at most " + max + ")");
        }
        return n;
    }

    /** Nix writes booleans as 0 or 1 but reads any non-zero number as true. */
    public boolean readBool() throws IOException {
        return readNum() != 0;
    }

    public byte[] readBytes() throws IOException {
        return readBytes(limits.maxStringBytes());
    }

    public byte[] readBytes(int maxLength) throws IOException {
        long len = readNum();
        if (len < 0 || len > maxLength) {
            throw new WireFormatException("string length " + Long.toUnsignedString(len) + " exceeds the limit of "
                    + maxLength + " bytes");
        }
        byte[] b = new byte[(int) len];
        readFully(b, 0, b.length, "a string of " + len + " bytes");
        skipPadding(len);
        return b;
    }

    /** A string, decoded as UTF-8 (store paths, names and JSON are ASCII or UTF-8). */
    public String readString() throws IOException {
        return new String(readBytes(), StandardCharsets.UTF_8);
    }

    public String readString(int maxLength) throws IOException {
        return new String(readBytes(maxLength), StandardCharsets.UTF_8);
    }

    /** The count of a collection, checked against the limit. */
    public int readCount(String what) throws IOException {
        long n = readNum();
        if (n < 0 || n > limits.maxCollectionSize()) {
            throw new WireFormatException(what + " has " + Long.toUnsignedString(n) + " elements, more than the limit of "
                    + limits.maxCollectionSize());
        }
        return (int) n;
    }

    public List<String> readStrings() throws IOException {
        int n = readCount("a list of strings");
        List<String> out = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            out.add(readString());
        }
        return out;
    }

    public SortedSet<String> readStringSet() throws IOException {
        return new TreeSet<>(readStrings());
    }

    public Map<String, String> readStringMap() throws IOException {
        int n = readCount("a map of strings");
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String k = readString();
            out.put(k, readString());
        }
        return out;
    }

    /** Exactly {@code len} raw bytes, with no length prefix or padding (frames, NAR contents). */
    public void readFully(byte[] b, int off, int len, String what) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(b, off + done, len - done);
            if (n < 0) {
                throw new WireEndException("connection ended in the middle of " + what);
            }
            done += n;
        }
    }

    private void skipPadding(long len) throws IOException {
        int pad = (int) ((8 - (len % 8)) % 8);
        if (pad > 0) {
            byte[] zeros = new byte[8];
            readFully(zeros, 0, pad, "string padding");
            for (int i = 0; i < pad; i++) {
                if (zeros[i] != 0) {
                    throw new WireFormatException("non-zero padding after a string");
                }
            }
        }
    }

    static long littleEndian(byte[] b) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }
}
