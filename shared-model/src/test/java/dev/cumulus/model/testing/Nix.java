package dev.cumulus.model.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real Nix (Debian's nix-bin) against a private chroot store, so tests never touch the
 * machine's /nix and never reach the network. Nix must be installed: .ci/run installs it, and a
 * test that needs it fails rather than skips when it is missing.
 */
public final class Nix {
    private final Path root;

    public Nix(Path root) {
        this.root = root;
    }

    public String store() {
        return "local?root=" + root;
    }

    /** The real location of a /nix/store path inside the chroot store. */
    public Path real(String storePath) {
        return Path.of(root + storePath);
    }

    public record Result(int exit, byte[] stdout, String stderr) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8).strip();
        }
    }

    /** Runs a Nix command; {@code --store} is added where the command takes it. */
    public Result run(byte[] stdin, String... command) {
        List<String> cmd = new ArrayList<>(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("NIX_CONFIG", "substituters =\nexperimental-features = nix-command ca-derivations\nsandbox = false\n"
                + "store = " + store() + "\n");
        env.put("XDG_CACHE_HOME", root.resolve("cache").toString());
        env.put("HOME", root.resolve("home").toString());
        try {
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin);
            }
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread outReader = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
            Thread errReader = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
            // The bound covers the whole run: reading the output to its end first would wait forever on a hung process.
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("timed out after 5 minutes: " + cmd + "; stderr so far: "
                        + err.toString(StandardCharsets.UTF_8));
            }
            outReader.join();
            errReader.join();
            return new Result(p.exitValue(), out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + " (is Debian's nix-bin installed? .ci/run installs it): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a Nix command that must succeed, returning its stdout. */
    public String ok(String... command) {
        Result r = run(null, command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + r.exit() + "): " + r.stderr());
        }
        return r.out();
    }

    public byte[] okBytes(String... command) {
        Result r = run(null, command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + r.exit() + "): " + r.stderr());
        }
        return r.stdout();
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // The process went away; what was read is kept.
        }
    }
}
