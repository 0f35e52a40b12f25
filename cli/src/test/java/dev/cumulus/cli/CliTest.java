package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: a separate process, its exit code, stdout and stderr. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    static Run run(byte[] stdin, String... command) throws Exception {
        return run(stdin, new ProcessBuilder(command));
    }

    static Run run(byte[] stdin, ProcessBuilder pb) throws Exception {
        List<String> command = pb.command();
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin);
        }
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = Thread.ofVirtual().start(() -> drain(p.getInputStream(), out));
        Thread errReader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
        // The bound covers the whole run: a process that hangs (or leaves a child holding its output
        // open) is killed with its children and fails the test, rather than hanging the suite.
        if (!p.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            outReader.join(Duration.ofSeconds(5));
            errReader.join(Duration.ofSeconds(5));
            fail("timed out after " + RUN_TIMEOUT + ": " + command + "\n--- stdout:\n" + out.toString(StandardCharsets.UTF_8)
                    + "\n--- stderr:\n" + err.toString(StandardCharsets.UTF_8));
        }
        outReader.join(Duration.ofSeconds(30));
        errReader.join(Duration.ofSeconds(30));
        return new Run(p.exitValue(), out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    /** How long any command a test runs may take. */
    static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

    static void drain(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // process gone
        }
    }

    /** {@code ../shared} beside the checkout. */
    static Path shared() {
        return Path.of(System.getProperty("cumulus.shared.dir", "../../shared"));
    }

    static Run cumulus(byte[] stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return run(stdin, cmd.toArray(String[]::new));
    }

    static Run ok(Run r) {
        assertEquals(0, r.exit(), r.stderr());
        return r;
    }

    /** A failure is one clear line on stderr, a non-zero exit and no stack trace. */
    static void failsCleanly(Run r, String expectedInMessage) {
        assertNotEquals(0, r.exit());
        String err = r.stderr().strip();
        assertTrue(err.startsWith("cumulus: "), err);
        assertEquals(1, err.lines().count(), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
        assertTrue(err.contains(expectedInMessage), err);
    }

    Path tree() throws IOException {
        Path root = tmp.resolve("tree");
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("empty"));
        Files.writeString(root.resolve("bin/hello"), "#!/nix/store/7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv-bash/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(root.resolve("bin/hello"), PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.writeString(root.resolve("grüße.txt"), "");
        Files.createSymbolicLink(root.resolve("link"), Path.of("bin/hello"));
        return root;
    }

    @Test
    void narDumpAndHashMatchNix() throws Exception {
        Path t = tree();
        assertArrayEquals(ok(run(null, "nix-store", "--dump", t.toString())).stdout(),
                ok(cumulus(null, "nar", "dump", t.toString())).stdout());
        assertEquals("sha256:" + ok(run(null, "nix-hash", "--type", "sha256", "--base32", t.toString())).out().strip(),
                ok(cumulus(null, "nar", "hash", t.toString())).out().strip());
    }

    @Test
    void narLsCatAndUnpack() throws Exception {
        Path t = tree();
        Path nar = Files.write(tmp.resolve("t.nar"), ok(cumulus(null, "nar", "dump", t.toString())).stdout());
        String ls = ok(cumulus(null, "nar", "ls", nar.toString())).out();
        assertTrue(ls.contains("-r-xr-xr-x") && ls.contains("./bin/hello") && ls.contains("./link -> bin/hello")
                && ls.contains("./grüße.txt"), ls);
        assertTrue(ok(cumulus(null, "nar", "ls", "--json", nar.toString())).out().contains("\"executable\" : true"));
        assertEquals(Files.readString(t.resolve("bin/hello")), ok(cumulus(null, "nar", "cat", nar.toString(), "/bin/hello")).out());
        failsCleanly(cumulus(null, "nar", "cat", nar.toString(), "/nope"), "is not in");
        failsCleanly(cumulus(null, "nar", "cat", nar.toString(), "/link"), "symlink");
        Path out = tmp.resolve("unpacked");
        ok(cumulus(null, "nar", "unpack", nar.toString(), out.toString()));
        assertArrayEquals(Files.readAllBytes(nar), ok(cumulus(null, "nar", "dump", out.toString())).stdout());
        failsCleanly(cumulus(null, "nar", "unpack", nar.toString(), out.toString()), "already exists");
    }

    @Test
    void badInputFailsWithOneLine() throws Exception {
        Path shared = Path.of(System.getProperty("cumulus.shared.dir", "../shared"));
        failsCleanly(cumulus(null, "nar", "ls", shared.resolve("nix-test-vectors/nars/dotdot.nar").toString()), "NAR");
        failsCleanly(cumulus(null, "nar", "ls", shared.resolve("nix-test-vectors/nars/regular-truncated-padding.nar").toString()),
                "truncated");
        failsCleanly(cumulus(null, "nar", "dump", tmp.resolve("missing").toString()), "no such file");
        failsCleanly(cumulus(null, "nar", "hash", tmp.resolve("missing").toString()), "no such file");
        failsCleanly(cumulus("not a key".getBytes(), "key", "public"), "secret key");
        failsCleanly(cumulus("k:AAAA".getBytes(), "key", "public"), "64 bytes");
        Path needles = Files.writeString(tmp.resolve("needles"), "short\n");
        failsCleanly(cumulus(null, "refscan", "--needles", needles.toString(), tree().toString()), "needle 0");
    }

    @Test
    void aRunnerWithoutTheStoreFunctionsIsRefused() throws Exception {
        Run r = cumulus(null, "runner", "--functions", "None");
        assertNotEquals(0, r.exit());
        assertTrue(r.stderr().contains("a runner needs the store functions"), r.stderr());
    }

    @Test
    void keysAgreeWithNix() throws Exception {
        String secret = ok(cumulus(null, "key", "generate", "cumulus-test-1")).out().strip();
        assertTrue(secret.startsWith("cumulus-test-1:"));
        String ourPublic = ok(cumulus(secret.getBytes(), "key", "public")).out().strip();
        String nixPublic = ok(run(secret.getBytes(), "nix", "--extra-experimental-features", "nix-command", "key",
                "convert-secret-to-public")).out().strip();
        assertEquals(nixPublic, ourPublic);
    }

    @Test
    void refscanPrintsTheNeedlesFound() throws Exception {
        Path needles = Files.writeString(tmp.resolve("needles"),
                "0000000000000000000000000000000a\n7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv\n\n");
        assertEquals("7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv\n",
                ok(cumulus(null, "refscan", "--needles", needles.toString(), tree().toString())).out());
    }
}
