package dev.cumulus.model.nar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;

/**
 * Generates file trees with what NARs must get right: symlinks (dangling too), executables, empty
 * files, empty directories, non-ASCII names, names that sort differently as bytes and as UTF-16,
 * and deep nesting.
 */
public final class NarTrees {
    private static final String[] NAMES = {"a", "B", "z", "ü", "日本", "é", "Z-", "a.b", "_", "10", "9", "\uD83D\uDE00", "ﬁ"};

    private NarTrees() {}

    public static Path generate(Path root, long seed) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(root);
        fill(root, r, 0);
        Path deep = root;
        for (int i = 0; i < 40; i++) {
            deep = deep.resolve("d" + i);
        }
        Files.createDirectories(deep);
        Files.writeString(deep.resolve("bottom"), "deep\n");
        Files.createDirectory(root.resolve("empty-dir"));
        Files.write(root.resolve("empty-file"), new byte[0]);
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("/nowhere/at/all"));
        Files.createSymbolicLink(root.resolve("relative"), Path.of("empty-file"));
        Path exe = root.resolve("run.sh");
        Files.writeString(exe, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        return root;
    }

    private static void fill(Path dir, Random r, int depth) throws IOException {
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
            Path p = dir.resolve(NAMES[r.nextInt(NAMES.length)] + (r.nextBoolean() ? "" : String.valueOf(i)));
            if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            int kind = r.nextInt(depth < 3 ? 4 : 3);
            switch (kind) {
                case 0 -> {
                    byte[] data = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(5000)];
                    r.nextBytes(data);
                    Files.write(p, data);
                }
                case 1 -> {
                    Files.write(p, ("exe " + i).getBytes());
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(r.nextBoolean() ? "rwx------" : "r-xr-xr-x"));
                }
                case 2 -> Files.createSymbolicLink(p, Path.of(r.nextBoolean() ? "../x" : "/nix/store/target ü"));
                default -> {
                    Files.createDirectory(p);
                    fill(p, r, depth + 1);
                }
            }
        }
    }
}
