package dev.cumulus.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The command line that runs a builder under bubblewrap, isolated as Nix's sandbox isolates it:
 * its own user, mount, PID, IPC, UTS and (unless the build may use the network) network namespaces;
 * uid 1000 and gid 100 ({@code nixbld}); hostname {@code localhost}; a store directory holding only
 * the inputs (read-only) and room for the outputs; {@code /build} as its directory; and the host
 * paths listed as sandbox paths (for example {@code /bin}, for builders that use {@code /bin/sh}).
 */
final class Sandbox {
    private final Path bwrap;
    private final List<String> sandboxPaths;

    Sandbox(Path bwrap, List<String> sandboxPaths) {
        this.bwrap = bwrap;
        this.sandboxPaths = List.copyOf(sandboxPaths);
    }

    /** bubblewrap from PATH, or a clear error: builds need it. */
    static Path findBwrap() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "bwrap");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("bubblewrap (bwrap) is not installed; the build-runner needs it to isolate builders "
                + "(Debian: apt-get install bubblewrap)");
    }

    /**
     * @param storeDir  the store directory inside the sandbox ({@code /nix/store})
     * @param storeRoot the local directory that appears there (writable: outputs are created in it)
     * @param inputs    each input's path inside the sandbox and where it is on this machine
     * @param buildDir  the local directory that appears as {@code workDir}
     * @param etc       a directory holding passwd, group and hosts
     */
    List<String> command(String storeDir, Path storeRoot, Map<String, Path> inputs, String workDir, Path buildDir, Path etc,
                         boolean network, List<String> builder) throws IOException {
        List<String> c = new ArrayList<>(List.of(bwrap.toString(), "--unshare-all"));
        if (network) {
            c.add("--share-net");
        }
        c.addAll(List.of("--die-with-parent", "--new-session", "--uid", "1000", "--gid", "100", "--hostname", "localhost",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
        for (String p : sandboxPaths) {
            String host = p.contains("=") ? p.substring(p.indexOf('=') + 1) : p;
            String inside = p.contains("=") ? p.substring(0, p.indexOf('=')) : p;
            c.addAll(List.of("--ro-bind-try", host, inside));
        }
        for (String f : List.of("passwd", "group", "hosts")) {
            c.addAll(List.of("--ro-bind", etc.resolve(f).toString(), "/etc/" + f));
        }
        c.addAll(List.of("--bind", storeRoot.toString(), storeDir));
        for (Map.Entry<String, Path> input : inputs.entrySet()) {
            c.addAll(List.of("--ro-bind", input.getValue().toString(), input.getKey()));
        }
        c.addAll(List.of("--bind", buildDir.toString(), workDir, "--chdir", workDir, "--"));
        c.addAll(builder);
        return c;
    }

    /** The files Nix's sandbox puts in /etc. */
    static void writeEtc(Path etc, String workDir) throws IOException {
        Files.createDirectories(etc);
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:Nix build user:" + workDir + ":/noshell\n"
                + "nixbld:x:1000:100:Nix build user:" + workDir + ":/noshell\n"
                + "nobody:x:65534:65534:Nobody:/:/noshell\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n");
        Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n::1 localhost\n");
    }
}
