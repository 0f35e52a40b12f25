package dev.cumulus.model.nar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Parses a NAR from a stream and validates it as it goes: tokens, zero padding, entry names (no
 * empty names, {@code .}, {@code ..}, slashes or NULs) and their strict order. It reads exactly the
 * NAR's bytes and nothing after them, so it can read a NAR embedded in another stream. Contents
 * are streamed to the visitor, never held whole.
 */
public final class NarReader {
    private final InputStream in;
    private final byte[] scratch = new byte[8];
    private long offset;

    public NarReader(InputStream in) {
        this.in = in;
    }

    /** Parses one NAR, calling {@code visitor} for each node. */
    public static void read(InputStream in, NarVisitor visitor) throws IOException {
        new NarReader(in).read(visitor);
    }

    /** Reads and validates one NAR, discarding it; returns its size. */
    public static long skip(InputStream in) throws IOException {
        NarReader r = new NarReader(in);
        r.read(new NarVisitor() {});
        return r.offset;
    }

    /** Bytes consumed so far. */
    public long offset() {
        return offset;
    }

    public void read(NarVisitor visitor) throws IOException {
        String magic = token("the NAR magic", 32);
        if (!magic.equals(Nar.MAGIC)) {
            throw error("not a NAR: expected the magic '" + Nar.MAGIC + "', got '" + printable(magic) + "'");
        }
        node("", visitor);
    }

    private void node(String path, NarVisitor visitor) throws IOException {
        expect("(");
        expect("type");
        String type = token("the node type", Nar.MAX_TOKEN);
        switch (type) {
            case "regular" -> regular(path, visitor);
            case "symlink" -> {
                expect("target");
                byte[] target = string("the symlink target", Nar.MAX_NAME);
                if (target.length == 0) {
                    throw error("symlink '" + display(path) + "' has an empty target");
                }
                if (indexOf(target, (byte) 0) >= 0) {
                    throw error("symlink '" + display(path) + "' has a NUL byte in its target");
                }
                visitor.symlink(path, new String(target, StandardCharsets.UTF_8));
                expect(")");
            }
            case "directory" -> directory(path, visitor);
            default -> throw error("unknown node type '" + printable(type) + "' at '" + display(path) + "'");
        }
    }

    private void regular(String path, NarVisitor visitor) throws IOException {
        boolean executable = false;
        String tag = token("'executable' or 'contents'", Nar.MAX_TOKEN);
        if (tag.equals("executable")) {
            executable = true;
            byte[] empty = string("the executable marker", Nar.MAX_TOKEN);
            if (empty.length != 0) {
                throw error("the executable marker of '" + display(path) + "' must be empty");
            }
            tag = token("'contents'", Nar.MAX_TOKEN);
        }
        if (!tag.equals("contents")) {
            throw error("expected 'contents' in regular file '" + display(path) + "', got '" + printable(tag) + "'");
        }
        long size = u64();
        if (size < 0) {
            throw error("file '" + display(path) + "' claims a size of more than 2^63 bytes");
        }
        Contents contents = new Contents(size);
        visitor.regularFile(path, executable, size, contents);
        contents.drain();
        padding(size);
        expect(")");
    }

    private void directory(String path, NarVisitor visitor) throws IOException {
        visitor.directory(path);
        byte[] previous = null;
        while (true) {
            String tag = token("'entry' or ')'", Nar.MAX_TOKEN);
            if (tag.equals(")")) {
                break;
            }
            if (!tag.equals("entry")) {
                throw error("expected 'entry' or ')' in directory '" + display(path) + "', got '" + printable(tag) + "'");
            }
            expect("(");
            expect("name");
            byte[] name = string("an entry name", Nar.MAX_NAME);
            checkName(path, name);
            if (previous != null && Nar.compareNames(previous, name) >= 0) {
                throw error("entry '" + printable(new String(name, StandardCharsets.UTF_8)) + "' in directory '"
                        + display(path) + "' is out of order or a duplicate");
            }
            previous = name;
            expect("node");
            node(path + "/" + new String(name, StandardCharsets.UTF_8), visitor);
            expect(")");
        }
        visitor.directoryEnd(path);
    }

    private void checkName(String dir, byte[] name) throws NarFormatException {
        String shown = printable(new String(name, StandardCharsets.UTF_8));
        if (name.length == 0) {
            throw error("empty entry name in directory '" + display(dir) + "'");
        }
        if (indexOf(name, (byte) '/') >= 0) {
            throw error("entry name '" + shown + "' in directory '" + display(dir) + "' contains a slash");
        }
        if (indexOf(name, (byte) 0) >= 0) {
            throw error("entry name '" + shown + "' in directory '" + display(dir) + "' contains a NUL byte");
        }
        if (Arrays.equals(name, new byte[] {'.'}) || Arrays.equals(name, new byte[] {'.', '.'})) {
            throw error("entry name '" + shown + "' in directory '" + display(dir) + "' is not allowed");
        }
    }

    private static int indexOf(byte[] b, byte v) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private void expect(String wanted) throws IOException {
        String got = token("'" + wanted + "'", Nar.MAX_TOKEN);
        if (!got.equals(wanted)) {
            throw error("expected '" + wanted + "', got '" + printable(got) + "'");
        }
    }

    private String token(String what, int max) throws IOException {
        return new String(string(what, max), StandardCharsets.ISO_8859_1);
    }

    private byte[] string(String what, int max) throws IOException {
        long start = offset;
        long len = u64();
        if (len < 0 || len > max) {
            throw new NarFormatException("NAR string at byte " + start + " (" + what + ") claims "
                    + Long.toUnsignedString(len) + " bytes, more than the " + max + " allowed");
        }
        byte[] b = new byte[(int) len];
        fill(b, b.length, what);
        padding(len);
        return b;
    }

    private void padding(long len) throws IOException {
        int pad = Nar.padding(len);
        if (pad == 0) {
            return;
        }
        fill(scratch, pad, "padding");
        for (int i = 0; i < pad; i++) {
            if (scratch[i] != 0) {
                throw error("non-zero padding");
            }
        }
    }

    private long u64() throws IOException {
        fill(scratch, 8, "a length");
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (scratch[i] & 0xff);
        }
        return v;
    }

    private void fill(byte[] b, int len, String what) throws IOException {
        int done = 0;
        while (done < len) {
            int n = in.read(b, done, len - done);
            if (n < 0) {
                throw new NarFormatException("NAR is truncated: it ends at byte " + (offset + done) + " while reading " + what);
            }
            done += n;
        }
        offset += len;
    }

    private NarFormatException error(String message) {
        return new NarFormatException("malformed NAR at byte " + offset + ": " + message);
    }

    private static String display(String path) {
        return path.isEmpty() ? "/" : path;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }

    /** A file's contents, limited to its size, read from the NAR stream itself. */
    private final class Contents extends InputStream {
        private long left;

        Contents(long size) {
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new NarFormatException("NAR is truncated: it ends at byte " + offset + " inside a file's contents ("
                        + left + " bytes missing)");
            }
            left -= n;
            offset += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(64 * 1024, Math.max(1, Math.min(n, left)))];
            long skipped = 0;
            while (skipped < n && left > 0) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(left, in.available());
        }

        void drain() throws IOException {
            skip(left);
        }
    }
}
