package dev.cumulus.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium without a display, loading pages as a user's browser does (their scripts run):
 * the DOM after load, or a screenshot. Each call is one browser process with its own profile.
 */
final class HeadlessBrowser {
    private final Path chromium;
    private final Path profile;

    private HeadlessBrowser(Path chromium, Path profile) {
        this.chromium = chromium;
        this.profile = profile;
    }

    /** Chromium on the PATH, if there is one; {@code profile} is where it keeps its state. */
    static Optional<HeadlessBrowser> find(Path profile) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(new HeadlessBrowser(p, profile));
                }
            }
        }
        return Optional.empty();
    }

    /** The page's DOM once loaded, serialised. */
    String dom(String url) throws Exception {
        return new String(run(List.of("--dump-dom", url)), StandardCharsets.UTF_8);
    }

    void screenshot(String url, Path png) throws Exception {
        Files.createDirectories(png.getParent());
        run(List.of("--screenshot=" + png, "--window-size=1280,1000", url));
        if (!Files.isRegularFile(png)) {
            throw new AssertionError("chromium wrote no screenshot of " + url);
        }
    }

    private byte[] run(List<String> args) throws Exception {
        // As root (CI) Chromium's own sandbox cannot start; the pages are ours, on loopback.
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + profile));
        command.addAll(args);
        Path err = Files.createTempFile("chromium", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("chromium did not finish " + args);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("chromium " + args + " exited with " + p.exitValue() + ": " + Files.readString(err));
            }
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
