package dev.cumulus.model.nar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;

/**
 * Serialises a file system tree as a NAR, streaming: file contents are copied in chunks, never
 * held whole. Byte-identical to {@code nix-store --dump}.
 */
public final class NarWriter {
    private static final byte[] ZEROS = new byte[8];

    private final OutputStream out;
    private final byte[] scratch = new byte[8];
    private final byte[] copyBuffer = new byte[128 * 1024];

    public NarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes the NAR of {@code root} (a file, an executable, a symlink or a directory) to {@code out}. */
    public static void dump(Path root, OutputStream out) throws IOException {
        new NarWriter(out).write(root);
    }

    public void write(Path root) throws IOException {
        str(Nar.MAGIC);
        node(root);
    }

    private void node(Path p) throws IOException {
        PosixFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(p.toString(), null, "no such file or directory");
        }
        str("(");
        if (attrs.isSymbolicLink()) {
            str("type");
            str("symlink");
            str("target");
            str(Nar.utf8(Files.readSymbolicLink(p).toString()));
        } else if (attrs.isRegularFile()) {
            str("type");
            str("regular");
            if (attrs.permissions().contains(PosixFilePermission.OWNER_EXECUTE)) {
                str("executable");
                str("");
            }
            str("contents");
            contents(p, attrs.size());
        } else if (attrs.isDirectory()) {
            str("type");
            str("directory");
            for (Entry e : sortedEntries(p)) {
                str("entry");
                str("(");
                str("name");
                str(e.name);
                str("node");
                node(e.path);
                str(")");
            }
        } else {
            throw new IOException("'" + p + "' is neither a regular file, a symlink nor a directory");
        }
        str(")");
    }

    private record Entry(byte[] name, Path path) {}

    private static List<Entry> sortedEntries(Path dir) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path child : ds) {
                entries.add(new Entry(Nar.utf8(child.getFileName().toString()), child));
            }
        }
        entries.sort((a, b) -> Nar.compareNames(a.name, b.name));
        return entries;
    }

    private void contents(Path p, long size) throws IOException {
        u64(size);
        long left = size;
        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
            while (left > 0) {
                int n = in.read(copyBuffer, 0, (int) Math.min(copyBuffer.length, left));
                if (n < 0) {
                    throw new IOException("'" + p + "' shrank while it was being archived");
                }
                out.write(copyBuffer, 0, n);
                left -= n;
            }
            if (in.read() >= 0) {
                throw new IOException("'" + p + "' grew while it was being archived");
            }
        }
        out.write(ZEROS, 0, Nar.padding(size));
    }

    private void str(String s) throws IOException {
        str(Nar.utf8(s));
    }

    private void str(byte[] b) throws IOException {
        u64(b.length);
        out.write(b);
        out.write(ZEROS, 0, Nar.padding(b.length));
    }

    private void u64(long v) throws IOException {
        for (int i = 0; i < 8; i++) {
            scratch[i] = (byte) (v >>> (8 * i));
        }
        out.write(scratch, 0, 8);
    }
}
