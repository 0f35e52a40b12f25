package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.ProxyConfig;
import dev.cumulus.proxy.SshServer;
import dev.cumulus.proxy.UnixSocketServer;
import dev.cumulus.proxy.backend.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debian's real {@code nix} (2.8, protocol 1.34) pings the proxy over every transport. */
class ProxyNixTest {
    static final ProxyConfig CONFIG = new ProxyConfig(StoreDir.DEFAULT, Backends.unavailable(), WireLimits.DEFAULT);

    @TempDir
    Path tmp;

    CliTest.Run nix(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nix", "--extra-experimental-features", "nix-command"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("NIX_CONFIG", "substituters =\nexperimental-features = nix-command");
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        pb.environment().putAll(env);
        return CliTest.run(null, pb);
    }

    @Test
    void pingOverTheUnixSocket() throws Exception {
        try (UnixSocketServer server = new UnixSocketServer(CONFIG, tmp.resolve("daemon.sock"), true)) {
            CliTest.Run r = nix(Map.of(), "store", "ping", "--store", "unix://" + server.socket());
            assertEquals(0, r.exit(), r.stderr());
            assertTrue(r.out().contains("Version: cumulus-0.1.0") || r.stderr().contains("Version: cumulus-0.1.0"), r.out() + r.stderr());
            // Operations whose backend is missing fail with a clear error, not a protocol error.
            CliTest.Run info = nix(Map.of(), "path-info", "--store", "unix://" + server.socket(),
                    "/nix/store/00000000000000000000000000000000-x");
            assertNotEquals(0, info.exit());
            assertTrue(info.stderr().contains("is not available"), info.stderr());
        }
    }

    @Test
    void pingOverSshNgWithTheStdioStandIn() throws Exception {
        Path program = tmp.resolve("remote-program");
        Files.writeString(program, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
                + System.getProperty("java.class.path") + "' " + Main.class.getName() + " proxy \"$@\"\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        Path fakeSsh = CliTest.shared().resolve("nix-2.8-captures/tools/bin");
        CliTest.Run r = nix(Map.of("PATH", fakeSsh.toAbsolutePath() + ":" + System.getenv("PATH")), "store", "ping", "--store",
                "ssh-ng://fakehost?remote-program=" + program);
        assertEquals(0, r.exit(), r.stderr());
        assertTrue((r.out() + r.stderr()).contains("Version: cumulus-0.1.0"), r.out() + r.stderr());
    }

    @Test
    void pingOverRealSshToTheEmbeddedServerAndRefuseUnknownKeys() throws Exception {
        Path good = sshKey("good", "ed25519");
        Path trustedEc = sshKey("trusted", "ecdsa");
        Path stranger = sshKey("stranger", "ed25519");
        Files.writeString(tmp.resolve("authorized_keys"), Files.readString(Path.of(good + ".pub"))
                + SshServer.TRUSTED_OPTION + " " + Files.readString(Path.of(trustedEc + ".pub")));
        Path hostKey = tmp.resolve("host/ssh_host_key");
        String firstHostKey;
        try (SshServer ssh = new SshServer(CONFIG, "127.0.0.1", 0, tmp.resolve("authorized_keys"), hostKey)) {
            firstHostKey = Files.readString(hostKey);
            for (Path key : List.of(good, trustedEc)) {
                CliTest.Run r = sshNix(ssh.port(), key);
                assertEquals(0, r.exit(), r.stderr());
                assertTrue((r.out() + r.stderr()).contains("Version: cumulus-0.1.0"), r.out() + r.stderr());
            }
            CliTest.Run refused = sshNix(ssh.port(), stranger);
            assertNotEquals(0, refused.exit());
            assertTrue(refused.stderr().contains("Permission denied"), refused.stderr());
        }
        // The host key survives a restart, so clients' known_hosts stay valid.
        try (SshServer again = new SshServer(CONFIG, "127.0.0.1", 0, tmp.resolve("authorized_keys"), hostKey)) {
            assertEquals(firstHostKey, Files.readString(hostKey));
            assertEquals(0, sshNix(again.port(), good).exit());
        }
    }

    CliTest.Run sshNix(int port, Path key) throws Exception {
        return nix(Map.of("NIX_SSHOPTS", "-p " + port + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                + "-o LogLevel=ERROR -o BatchMode=yes"), "store", "ping", "--store", "ssh-ng://127.0.0.1?ssh-key=" + key);
    }

    Path sshKey(String name, String type) throws Exception {
        Path key = tmp.resolve(name);
        CliTest.Run r = CliTest.run(null, new ProcessBuilder("ssh-keygen", "-q", "-t", type, "-N", "", "-C", name, "-f", key.toString()));
        assertEquals(0, r.exit(), r.stderr());
        return key;
    }
}
