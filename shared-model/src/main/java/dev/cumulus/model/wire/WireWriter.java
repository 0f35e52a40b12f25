package dev.cumulus.model.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

/** Writes the protocol's primitives: little-endian 64-bit numbers and zero-padded byte strings. */
public final class WireWriter {
    private static final byte[] ZEROS = new byte[8];
    private final OutputStream out;
    private final byte[] word = new byte[8];

    public WireWriter(OutputStream out) {
        this.out = out;
    }

    public OutputStream stream() {
        return out;
    }

    public WireWriter writeNum(long v) throws IOException {
        for (int i = 0; i < 8; i++) {
            word[i] = (byte) (v >>> (8 * i));
        }
        out.write(word);
        return this;
    }

    public WireWriter writeBool(boolean b) throws IOException {
        return writeNum(b ? 1 : 0);
    }

    public WireWriter writeBytes(byte[] b) throws IOException {
        return writeBytes(b, 0, b.length);
    }

    public WireWriter writeBytes(byte[] b, int off, int len) throws IOException {
        writeNum(len);
        out.write(b, off, len);
        int pad = (8 - (len % 8)) % 8;
        if (pad > 0) {
            out.write(ZEROS, 0, pad);
        }
        return this;
    }

    public WireWriter writeString(String s) throws IOException {
        return writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public WireWriter writeStrings(Collection<String> strings) throws IOException {
        writeNum(strings.size());
        for (String s : strings) {
            writeString(s);
        }
        return this;
    }

    public WireWriter writeStringMap(Map<String, String> map) throws IOException {
        writeNum(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            writeString(e.getKey());
            writeString(e.getValue());
        }
        return this;
    }

    public void flush() throws IOException {
        out.flush();
    }
}
