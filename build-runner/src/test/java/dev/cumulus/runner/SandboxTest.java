package dev.cumulus.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.wire.BuildStatus;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox's promises, each kept by a real builder under bubblewrap (as the runner runs it: the
 * command {@link Sandbox} makes, run by {@link BuilderProcess}), and each shown broken where the
 * promise is lifted on purpose (a build that may use the network reaches the host).
 */
class SandboxTest {
    private static final String STORE = "/nix/store";
    private static final String WORK = "/build";

    @TempDir
    Path tmp;

    Path storeRoot;
    Path input;
    Path etc;
    Path buildDir;
    Sandbox sandbox;

    @BeforeEach
    void setUp() throws Exception {
        storeRoot = Files.createDirectories(tmp.resolve("store"));
        // An input path, as the runner's input store keeps it outside the build's store directory.
        input = Files.createDirectories(tmp.resolve("inputs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-input"));
        Files.writeString(input.resolve("data"), "input data\n");
        etc = tmp.resolve("etc");
        Sandbox.writeEtc(etc, WORK);
        buildDir = Files.createDirectories(tmp.resolve("build"));
        sandbox = new Sandbox(Sandbox.findBwrap(), List.of("/bin", "/usr", "/lib", "/lib64"));
    }

    /** Runs {@code script} with /bin/sh in the sandbox and returns its log lines. */
    private List<String> build(String script, boolean network, long timeoutSeconds) throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        List<String> command = sandbox.command(STORE, storeRoot, Map.of(STORE + "/" + input.getFileName(), input), WORK, buildDir,
                etc, network, List.of("/bin/sh", "-c", "export PATH=/usr/bin:/bin; " + script));
        BuilderProcess.run(command, Map.of("PATH", "/usr/bin:/bin"), timeoutSeconds, 0, log::add, () -> true);
        return log;
    }

    @Test
    void theBuilderRunsAsUid1000InGroup100AsNixbld() throws Exception {
        assertEquals(List.of("1000 100 nixbld localhost"), build("echo $(id -u) $(id -g) $(id -un) $(hostname)", false, 30));
    }

    @Test
    void noNetworkUnlessTheBuildMayUseItAndThenItReachesTheHost() throws Exception {
        try (ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!host.isClosed()) {
                    try {
                        host.accept().close();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            String connect = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", " + host.getLocalPort()
                    + "), timeout=5); print(\"connected\")' 2>/dev/null || echo refused; cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '";
            assertEquals(List.of("refused", "lo"), build(connect, false, 30), "only its own loopback, nothing of the host's network");
            List<String> shared = build(connect, true, 30);
            assertEquals("connected", shared.getFirst(), "a fixed-output build has the network: " + shared);
        }
    }

    @Test
    void inputsAreReadOnlyAndOutputsCanBeMade() throws Exception {
        List<String> log = build("cat " + STORE + "/" + input.getFileName() + "/data; "
                + "touch " + STORE + "/" + input.getFileName() + "/new 2>/dev/null && echo wrote-input || echo input-read-only; "
                + "rm " + STORE + "/" + input.getFileName() + "/data 2>/dev/null && echo removed-input || echo input-kept; "
                + "mkdir " + STORE + "/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-out && echo made-output", false, 30);
        assertEquals(List.of("input data", "input-read-only", "input-kept", "made-output"), log);
        assertTrue(Files.isDirectory(storeRoot.resolve("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-out")), "the output is where the runner collects it");
        assertEquals("input data\n", Files.readString(input.resolve("data")));
    }

    @Test
    void nothingOfTheHostButTheSandboxPaths() throws Exception {
        Path secret = Files.writeString(tmp.resolve("host-secret"), "secret\n");
        List<String> log = build("ls /etc | tr '\\n' ' '; echo; ls / | tr '\\n' ' '; echo; "
                + "ls " + STORE + " | tr '\\n' ' '; echo; "
                + "test -e " + secret + " && echo sees-host-file || echo no-host-file; "
                + "test -e /root/. && echo sees-root || echo no-root; "
                + "test -e /home && echo sees-home || echo no-home; "
                + "pwd", false, 30);
        assertEquals("group hosts passwd ", log.get(0), "/etc holds only what Nix's sandbox puts there");
        List<String> top = List.of(log.get(1).trim().split(" "));
        assertEquals(new java.util.TreeSet<>(List.of("bin", "build", "dev", "etc", "lib", "lib64", "nix", "proc", "tmp", "usr")),
                new java.util.TreeSet<>(top), "the root holds the sandbox paths and the build's own directories only");
        assertEquals("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-input ", log.get(2), "the store holds the inputs only");
        assertEquals(List.of("no-host-file", "no-root", "no-home", WORK), log.subList(3, 7));
    }

    @Test
    void aBuildPastItsTimeoutIsKilledWithItsWholeProcessTree() throws Exception {
        String marker = "sleep 1234.5" + ProcessHandle.current().pid();
        BuildFailure failure = assertThrows(BuildFailure.class,
                () -> build("(" + marker + ") & (sh -c '" + marker + "') & echo started; " + marker, false, 2));
        assertEquals(BuildStatus.TIMED_OUT, failure.status());
        assertEquals("timed out after 2 seconds", failure.getMessage());
        List<String> left = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker))
                    .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals(List.of(), left, "no process of the build is left");
    }
}
