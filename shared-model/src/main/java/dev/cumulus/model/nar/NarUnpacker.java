package dev.cumulus.model.nar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Restores a NAR into a directory that must not exist yet. It never writes outside the target:
 * the reader rejects names with slashes, {@code .} and {@code ..}, every file is created new,
 * and nothing is opened through a symlink.
 */
public final class NarUnpacker implements NarVisitor {
    private static final Set<PosixFilePermission> EXECUTABLE = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);

    private final Path target;
    private final byte[] buffer = new byte[128 * 1024];

    private NarUnpacker(Path target) {
        this.target = target.toAbsolutePath().normalize();
    }

    /** Reads a NAR from {@code in} and creates it at {@code target}. */
    public static void unpack(InputStream in, Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("'" + target + "' already exists; a NAR is unpacked into a new path");
        }
        NarReader.read(in, new NarUnpacker(target));
    }

    private Path resolve(String path) throws IOException {
        Path p = path.isEmpty() ? target : target.resolve(path.substring(1)).normalize();
        if (!p.startsWith(target)) {
            throw new NarFormatException("NAR entry '" + path + "' would be written outside " + target);
        }
        return p;
    }

    @Override
    public void directory(String path) throws IOException {
        Files.createDirectory(resolve(path));
    }

    @Override
    public void regularFile(String path, boolean executable, long size, InputStream contents) throws IOException {
        Path p = resolve(path);
        try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            for (int n; (n = contents.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
        }
        if (executable) {
            Files.setPosixFilePermissions(p, EXECUTABLE);
        }
    }

    @Override
    public void symlink(String path, String linkTarget) throws IOException {
        Files.createSymbolicLink(resolve(path), Path.of(linkTarget));
    }
}
