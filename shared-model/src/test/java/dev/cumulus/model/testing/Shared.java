package dev.cumulus.model.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code ../shared} beside the checkout: Nix's test vectors and the recorded sessions. */
public final class Shared {
    private Shared() {}

    public static Path dir() {
        String configured = System.getProperty("cumulus.shared.dir");
        Path p = configured != null ? Path.of(configured) : Path.of("..", "shared");
        if (!Files.isDirectory(p.resolve("nix-test-vectors"))) {
            throw new IllegalStateException("../shared/nix-test-vectors is missing (looked in " + p.toAbsolutePath()
                    + "); the tests read Nix's vectors from there");
        }
        return p.normalize();
    }

    public static Path vectors(String relative) {
        return dir().resolve("nix-test-vectors").resolve(relative);
    }

    public static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
