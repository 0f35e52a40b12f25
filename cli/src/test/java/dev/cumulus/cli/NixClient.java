package dev.cumulus.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A real Nix client the end-to-end tests drive: Debian bookworm's {@code nix-bin} (Nix 2.8) on this
 * machine, or a newer Nix from Debian's own packages in a chroot that {@code scripts/nix-clients}
 * installs (trixie: 2.26, sid: 2.34), run under bubblewrap with the chroot as {@code /}. The chroot
 * sees this machine's {@code /tmp} (where the tests keep stores, state and keys) and {@code ../shared}
 * (the stand-in for ssh); it has its own {@code /nix/store}, and its own {@code ssh} and {@code perl}.
 */
record NixClient(String name, Optional<Path> root) {
    /** Where {@code scripts/nix-clients} keeps the chroots. */
    static Path clientsDir() {
        String dir = System.getenv("CUMULUS_NIX_CLIENTS");
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir);
        }
        String cache = System.getenv("XDG_CACHE_HOME");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("cumulus/nix-clients");
    }

    static final NixClient BOOKWORM = new NixClient("2.8", Optional.empty());
    static final NixClient TRIXIE = chroot("2.26", "trixie");
    static final NixClient SID = chroot("2.34", "sid");

    private static NixClient chroot(String name, String suite) {
        return new NixClient(name, Optional.of(clientsDir().resolve(suite)));
    }

    /** Every client, oldest first. */
    static List<NixClient> all() {
        return List.of(BOOKWORM, TRIXIE, SID);
    }

    /**
     * The clients the suites run against: all, or those {@code -Dcumulus.nix.clients=2.8,2.34} names
     * (to run one client's suite while working on it; CI runs all).
     */
    static List<NixClient> selected() {
        String names = System.getProperty("cumulus.nix.clients", "");
        if (names.isBlank()) {
            return all();
        }
        List<String> wanted = List.of(names.split(","));
        return all().stream().filter(c -> wanted.contains(c.name())).toList();
    }

    /** Whether this client can run here; a chroot client needs {@code scripts/nix-clients} to have installed it. */
    boolean installed() {
        return root.isEmpty() || Files.isExecutable(root.get().resolve("usr/bin/nix"));
    }

    /** Why this client cannot run here. */
    String missing() {
        return "Nix " + name + " is not installed in " + root.map(Path::toString).orElse("/usr/bin")
                + " (run scripts/nix-clients, as root)";
    }

    /** {@code command} as this client runs it: as is for the machine's Nix, under bubblewrap in its chroot otherwise. */
    List<String> command(List<String> command) {
        if (root.isEmpty()) {
            return command;
        }
        // Its real path: a ../shared that is a link (under /tmp, bound whole) must find its target inside too.
        Path shared;
        try {
            shared = CliTest.shared().toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> out = new ArrayList<>(List.of("bwrap", "--bind", root.get().toString(), "/", "--proc", "/proc",
                "--dev", "/dev", "--bind", "/tmp", "/tmp", "--ro-bind", shared.toString(), shared.toString(),
                "--die-with-parent", "--"));
        out.addAll(command);
        return out;
    }

    /** Nix's own settings for this client: the machine's Nix runs as root with build users, a chroot's without. */
    String extraConfig() {
        return root.isEmpty() ? "" : "build-users-group =\n";
    }

    @Override
    public String toString() {
        return "Nix " + name;
    }
}
